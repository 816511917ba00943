// The extension module topolayer._core: one bind_* call per area, each in its own file.
#include "common.hpp"

namespace topolayer_bindings {
void bind_simplicial(nb::module_& m);
void bind_cubical(nb::module_& m);
void bind_rips(nb::module_& m);
void bind_alpha(nb::module_& m);
void bind_distances(nb::module_& m);
}  // namespace topolayer_bindings

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
}
