// The extension module topolayer._core: one bind_* call per area, each in its own file.
#include <string>

#include "common.hpp"
#include "topolayer/parallel.hpp"

namespace topolayer_bindings {
void bind_simplicial(nb::module_& m);
void bind_cubical(nb::module_& m);
void bind_rips(nb::module_& m);
void bind_alpha(nb::module_& m);
void bind_distances(nb::module_& m);
void bind_segmentation(nb::module_& m);
}  // namespace topolayer_bindings

namespace {
// How this extension was compiled, for `topolayer info` and bug reports.
nanobind::dict build_info() {
    nanobind::dict d;
#if defined(__clang__)
    d["compiler"] = "clang " __clang_version__;
#elif defined(__GNUC__)
    d["compiler"] = "gcc " __VERSION__;
#elif defined(_MSC_VER)
    d["compiler"] = "msvc " + std::to_string(_MSC_VER);
#else
    d["compiler"] = "unknown";
#endif
    d["cplusplus"] = static_cast<long>(__cplusplus);
#ifdef NDEBUG
    d["assertions"] = false;
#else
    d["assertions"] = true;
#endif
#ifdef TOPOLAYER_OPENMP
    d["openmp"] = true;
#else
    d["openmp"] = false;
#endif
#ifdef Py_LIMITED_API
    d["stable_abi"] = true;
#else
    d["stable_abi"] = false;
#endif
    return d;
}
}  // namespace

NB_MODULE(_core, m) {
    m.doc() = "topolayer's C++ core: persistence pairs as indices of critical cells.";
    // Complexes registered for the custom ops live in a module-level dict until interpreter
    // exit, where nanobind would report them as leaks.
    nanobind::set_leak_warnings(false);
    topolayer_bindings::register_interrupt_translator();
    topolayer_bindings::bind_simplicial(m);
    topolayer_bindings::bind_cubical(m);
    topolayer_bindings::bind_rips(m);
    topolayer_bindings::bind_alpha(m);
    topolayer_bindings::bind_distances(m);
    topolayer_bindings::bind_segmentation(m);
    m.def("set_openmp", &topolayer::set_openmp, nanobind::arg("allowed"),
          "Allow or forbid OpenMP teams for batches in this process (forbidden in a child process).");
    m.def("build_info", &build_info, "How this extension was compiled (compiler, C++ standard, flags).");
}
