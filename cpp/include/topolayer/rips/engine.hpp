// The Vietoris–Rips engine for one metric (Bauer 2021, "Ripser: efficient computation of
// Vietoris–Rips persistence barcodes", J. Appl. Comput. Topol.). H0: a minimum spanning forest
// (Prim on a dense metric, Kruskal on a sparse one), elder rule. H_d, d >= 1: cohomology over
// Z2, implicit coboundaries, clearing, apparent and emergent pairs; simplices indexed by the
// combinatorial number system; dense (N^2 table) or sparse (CSR lists) metrics.
// Cost: O(N^2) memory dense, O(N + E) sparse; time near O(N^2) for H1 of low-dimensional clouds.
// Invariants: order (value, dimension, index); a simplex's critical edge is its largest edge in
// (value, edge index); results are identical for every thread count.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif

#include "../interrupt.hpp"
#include "../parallel.hpp"
#include "../types.hpp"
#include "../union_find.hpp"

namespace topolayer {

// Bars of one Rips computation, per dimension: rows of (birth_u, birth_v, death_u, death_v).
// H0 births are vertices, encoded as the degenerate edge (v, v); essential deaths are (-1, -1).
struct rips_result {
    std::vector<std::vector<index_t>> rows;
    explicit rips_result(int max_dim = 0) : rows(static_cast<std::size_t>(max_dim + 1)) {}
    void push(int d, index_t bu, index_t bv, index_t du, index_t dv) {
        auto& r = rows[static_cast<std::size_t>(d)];
        r.push_back(bu);
        r.push_back(bv);
        r.push_back(du);
        r.push_back(dv);
    }
};

// Options shared by every entry point.
struct rips_options {
    int max_dim = 1;
    double threshold = std::numeric_limits<double>::infinity();  // in filtration units
    bool keep_zero = false;
    int n_threads = 1;                       // threads used inside one item
    double memory_budget = 4.0 * (1 << 30);  // bytes; exceeded -> std::invalid_argument
};

// A symmetric (n, n) table of filtration values (squared Euclidean distances of points, or a
// given distance matrix's lower triangle mirrored). Full rows make every inner loop contiguous,
// at twice the memory of a triangle: 4 N^2 bytes in float32, checked against the memory budget.
template <class T>
struct rips_dense_metric {
    static constexpr bool sparse = false;
    index_t n = 0;
    std::vector<T> m;

    T operator()(index_t i, index_t j) const { return m[static_cast<std::size_t>(i * n + j)]; }
    const T* row(index_t i) const { return m.data() + i * n; }
};

// The edges within a threshold only, as sorted adjacency lists (CSR): memory O(N + E) for the
// sparse (thresholded) variant. A missing edge reads as +inf.
template <class T>
struct rips_sparse_metric {
    static constexpr bool sparse = true;
    index_t n = 0;
    std::vector<index_t> start;  // n + 1 row offsets
    std::vector<index_t> nbr;    // neighbours, increasing within each row
    std::vector<T> val;

    T operator()(index_t i, index_t j) const {
        if (i == j) return T(0);
        const index_t* b = nbr.data() + start[static_cast<std::size_t>(i)];
        const index_t* e = nbr.data() + start[static_cast<std::size_t>(i + 1)];
        const index_t* p = std::lower_bound(b, e, j);
        return (p != e && *p == j) ? val[static_cast<std::size_t>(p - nbr.data())] : std::numeric_limits<T>::infinity();
    }
    index_t begin(index_t i) const { return start[static_cast<std::size_t>(i)]; }
    index_t end(index_t i) const { return start[static_cast<std::size_t>(i + 1)]; }
};

namespace rips_detail {

template <class T>
struct entry {
    T value;
    index_t index;
};

template <class T>
inline bool before(const entry<T>& a, const entry<T>& b) {
    return a.value < b.value || (a.value == b.value && a.index < b.index);
}

template <class T>
struct later_first {  // heap order: the earliest entry on top
    bool operator()(const entry<T>& a, const entry<T>& b) const { return before(b, a); }
};

inline std::string bytes_str(double b) { return std::to_string(static_cast<long long>(b / (1 << 20))) + " MiB"; }

// C(n, k) for n <= n_max, k <= k_max; throws when the largest index would overflow int64.
class binomials {
  public:
    binomials(index_t n_max, int k_max) : n_(n_max + 1), k_(k_max + 1), t_(static_cast<std::size_t>(n_ * k_), 0) {
        const index_t limit = std::numeric_limits<index_t>::max() / 2;
        for (index_t n = 0; n < n_; ++n) {
            at(n, 0) = 1;
            for (int k = 1; k < k_ && k <= n; ++k) {
                const index_t a = at(n - 1, k - 1), b = k <= n - 1 ? at(n - 1, k) : 0;
                if (a > limit - b)
                    throw std::invalid_argument("Rips: simplex indices of " + std::to_string(n_max) +
                                                " points in dimension " + std::to_string(k_max - 1) +
                                                " overflow 64 bits; lower max_dim or the number of points");
                at(n, k) = a + b;
            }
        }
    }
    index_t operator()(index_t n, int k) const { return k > n ? 0 : t_[static_cast<std::size_t>(n * k_ + k)]; }

  private:
    index_t& at(index_t n, int k) { return t_[static_cast<std::size_t>(n * k_ + k)]; }
    index_t n_;
    int k_;
    std::vector<index_t> t_;
};


// The map from a pivot (a simplex index) to its column: open addressing with linear probing at
// load <= 1/2, so that a lookup is a few probes in one cache line; `find` gives -1 for a missing
// key. Entries are never removed and keys are inserted once.
class index_map {
  public:
    index_t find(index_t key) const {
        if (slots_.empty()) return -1;
        for (std::size_t i = hash(key);; i = (i + 1) & mask_) {
            const slot& s = slots_[i];
            if (s.key == key) return s.value;
            if (s.key < 0) return -1;
        }
    }
    void reserve(std::size_t n) {
        while (2 * n > slots_.size()) grow();
    }
    void insert(index_t key, index_t value) {
        if (2 * (size_ + 1) > slots_.size()) grow();
        for (std::size_t i = hash(key);; i = (i + 1) & mask_) {
            slot& s = slots_[i];
            if (s.key < 0) {
                s = {key, value};
                ++size_;
                return;
            }
        }
    }
    std::size_t size() const { return size_; }

  private:
    struct slot {
        index_t key, value;
    };
    std::size_t hash(index_t key) const {
        return static_cast<std::size_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ull) >> shift_);
    }
    void grow() {
        std::vector<slot> old;
        old.swap(slots_);
        slots_.assign(old.empty() ? 1024 : 2 * old.size(), slot{-1, -1});
        mask_ = slots_.size() - 1;
        shift_ = 64;
        for (std::size_t m = slots_.size(); m > 1; m >>= 1) --shift_;
        size_ = 0;
        for (const slot& t : old)
            if (t.key >= 0) insert(t.key, t.value);
    }
    std::vector<slot> slots_;
    std::size_t mask_ = 0, size_ = 0;
    int shift_ = 64;
};

inline int lowest_bit(int mask) {  // mask != 0
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctz(static_cast<unsigned>(mask));
#else
    int t = 0;
    while (!((mask >> t) & 1)) ++t;
    return t;
#endif
}

// First v in [from, n) with rows[i][v] <= value for every i < K, or -1: the elementwise maximum
// over the K rows compared with `value`, a block of vertices at a time (SSE2 where available).
template <int K, class T>
inline index_t first_within_scalar(const T* const* rows, T value, index_t from, index_t n) {
    for (index_t v = from; v < n; ++v) {
        bool ok = true;
        for (int i = 0; i < K; ++i) ok &= rows[i][v] <= value;
        if (ok) return v;
    }
    return -1;
}

template <int K, class T>
inline index_t first_within(const T* const* rows, T value, index_t from, index_t n) {
#if defined(__SSE2__) || defined(_M_X64)
    if constexpr (std::is_same_v<T, float>) {
        constexpr index_t lanes = 4, block = 16;
        const __m128 lim = _mm_set1_ps(value);
        index_t v = from;
        for (; v + block <= n; v += block) {
            int mask = 0;
            for (index_t q = 0; q < block / lanes; ++q) {
                __m128 m = _mm_loadu_ps(rows[0] + v + q * lanes);
                for (int i = 1; i < K; ++i) m = _mm_max_ps(m, _mm_loadu_ps(rows[i] + v + q * lanes));
                mask |= _mm_movemask_ps(_mm_cmple_ps(m, lim)) << (q * lanes);
            }
            if (mask) return v + lowest_bit(mask);
        }
        return first_within_scalar<K>(rows, value, v, n);
    } else if constexpr (std::is_same_v<T, double>) {
        constexpr index_t lanes = 2, block = 8;
        const __m128d lim = _mm_set1_pd(value);
        index_t v = from;
        for (; v + block <= n; v += block) {
            int mask = 0;
            for (index_t q = 0; q < block / lanes; ++q) {
                __m128d m = _mm_loadu_pd(rows[0] + v + q * lanes);
                for (int i = 1; i < K; ++i) m = _mm_max_pd(m, _mm_loadu_pd(rows[i] + v + q * lanes));
                mask |= _mm_movemask_pd(_mm_cmple_pd(m, lim)) << (q * lanes);
            }
            if (mask) return v + lowest_bit(mask);
        }
        return first_within_scalar<K>(rows, value, v, n);
    }
#endif
    return first_within_scalar<K>(rows, value, from, n);
}

}  // namespace rips_detail

// The Rips computation for one metric. `Metric` maps (i, j) to a filtration value.
template <class T, class Metric>
class rips_engine {
    using entry = rips_detail::entry<T>;

  public:
    rips_engine(const Metric& dist, index_t n, const rips_options& opt)
        : dist_(dist), n_(n), opt_(opt), binom_(std::max<index_t>(n, 1), opt.max_dim + 2) {
        if (opt.max_dim < 0 || opt.max_dim + 2 > max_vertices)
            throw std::invalid_argument("max_dim must be in 0.." + std::to_string(max_vertices - 2));
        thr_ = std::isfinite(opt.threshold) ? static_cast<T>(opt.threshold) : std::numeric_limits<T>::infinity();
        // Past the enclosing radius the complex is a cone, hence contractible: no bar of dim >= 1
        // survives it and H0 has merged. Truncating there changes nothing but the zero bars.
        if constexpr (!Metric::sparse) {
            if (!opt.keep_zero && n > 0) thr_ = std::min(thr_, enclosing_radius());
        }
        fast_ = !opt.keep_zero;
    }

    rips_result run() {
        rips_result out(opt_.max_dim);
        if (n_ == 0) return out;
        const std::vector<index_t> mst = dim0(out);
        if (opt_.max_dim < 1 || n_ < 2) return out;
        rips_detail::index_map pivots;  // previous dimension's death simplices
        for (int d = 1; d <= opt_.max_dim && d < n_; ++d) {
            std::vector<entry> columns = assemble(d, mst, pivots);
            pivots = reduce(d, columns, out);
        }
        return out;
    }

  private:
    static constexpr int max_vertices = 8;  // fixed-size vertex buffers: cofaces of max_dim <= 6

    // ---- simplices ---------------------------------------------------------------------------
    // Vertices of simplex `idx` of dimension `d`, in decreasing order.
    void vertices(index_t idx, int d, index_t* out) const {
        index_t hi = n_;
        for (int k = d + 1; k >= 1; --k) {
            index_t lo = k - 1;  // largest v in [lo, hi) with C(v, k) <= idx
            index_t h = hi;
            while (h - lo > 1) {
                const index_t mid = lo + (h - lo) / 2;
                if (binom_(mid, k) <= idx)
                    lo = mid;
                else
                    h = mid;
            }
            *out++ = lo;
            idx -= binom_(lo, k);
            hi = lo;
        }
    }

    T diameter(const index_t* v, int d) const {
        T m = T(0);
        for (int i = 0; i <= d; ++i)
            for (int j = i + 1; j <= d; ++j) m = std::max(m, dist_(v[i], v[j]));
        return m;
    }

    // The critical edge (u > w) of a simplex: largest (value, edge index) among its edges.
    void critical_edge(const index_t* v, int d, index_t& u, index_t& w) const {
        u = v[0];
        w = v[0];
        if (d == 0) return;
        T best = T(-1);
        index_t best_idx = -1;
        for (int i = 0; i <= d; ++i)
            for (int j = i + 1; j <= d; ++j) {
                const index_t a = std::max(v[i], v[j]), b = std::min(v[i], v[j]);
                const T x = dist_(a, b);
                const index_t e = binom_(a, 2) + b;
                if (x > best || (x == best && e > best_idx)) {
                    best = x;
                    best_idx = e;
                    u = a;
                    w = b;
                }
            }
    }

    // Calls f(coface index, coface value) for every coface with value <= threshold, in increasing
    // index order, until f returns false. `desc` holds the d+1 vertices in decreasing order.
    template <class F>
    void for_each_coface(const index_t* desc, int d, T value, F&& f) const {
        if constexpr (Metric::sparse) {
            for_each_coface_sparse(desc, d, value, f);
        } else {
            for_each_coface_dense(desc, d, value, f);
        }
    }

    // Sparse cofaces: walk the neighbours of the simplex's smallest vertex and keep those adjacent
    // to every other vertex (one forward cursor per adjacency list, all lists sorted).
    template <class F>
    void for_each_coface_sparse(const index_t* desc, int d, T value, F& f) const {
        index_t asc[8], cur[8];
        for (int i = 0; i <= d; ++i) {
            asc[i] = desc[d - i];
            cur[i] = dist_.begin(asc[i]);
        }
        index_t below = 0, above = 0;
        for (int i = 0; i <= d; ++i) above += binom_(asc[i], i + 2);
        int j = 0;
        const index_t* nb = dist_.nbr.data();
        const T* vals = dist_.val.data();
        for (index_t p = dist_.begin(asc[0]); p < dist_.end(asc[0]); ++p) {
            const index_t v = nb[p];
            T m = value;
            if (vals[p] > thr_) continue;
            m = vals[p] > m ? vals[p] : m;
            bool ok = true;
            for (int i = 1; i <= d && ok; ++i) {
                index_t& c = cur[i];
                const index_t e = dist_.end(asc[i]);
                while (c < e && nb[c] < v) ++c;
                if (c == e || nb[c] != v || vals[c] > thr_) {
                    ok = false;
                } else {
                    m = vals[c] > m ? vals[c] : m;
                }
            }
            if (!ok) continue;
            while (j <= d && asc[j] < v) {
                below += binom_(asc[j], j + 1);
                above -= binom_(asc[j], j + 2);
                ++j;
            }
            if (!f(below + binom_(v, j + 1) + above, m)) return;
        }
    }

    template <class F>
    void for_each_coface_dense(const index_t* desc, int d, T value, F& f) const {
        index_t asc[8];
        const T* rows[8];
        for (int i = 0; i <= d; ++i) {
            asc[i] = desc[d - i];
            rows[i] = dist_.row(asc[i]);
        }
        index_t below = 0, above = 0;
        for (int i = 0; i <= d; ++i) above += binom_(asc[i], i + 2);
        int j = 0;
        const T thr = thr_;
        for (index_t v = 0; v < n_; ++v) {
            if (j <= d && v == asc[j]) {
                below += binom_(asc[j], j + 1);
                above -= binom_(asc[j], j + 2);
                ++j;
                continue;
            }
            T m = value;
            bool ok = true;
            for (int i = 0; i <= d; ++i) {
                const T x = rows[i][v];
                ok &= x <= thr;
                m = x > m ? x : m;
            }
            if (!ok) continue;
            if (!f(below + binom_(v, j + 1) + above, m)) return;
        }
    }

    // The earliest coface of a simplex if it has the simplex's own value, else -1; its vertices
    // (decreasing) go to `cdesc` when given.
    index_t zero_coface(const index_t* desc, int d, T value, index_t* cdesc = nullptr) const {
        if constexpr (Metric::sparse) {
            index_t found = -1;
            for_each_coface(desc, d, value, [&](index_t idx, T m) {
                if (m == value) {
                    found = idx;
                    return false;
                }
                return true;
            });
            if (found >= 0 && cdesc) vertices(found, d + 1, cdesc);
            return found;
        } else {
            return zero_coface_dense(desc, d, value, cdesc);
        }
    }

    // Dense: the first vertex v outside the simplex within `value` of all its vertices gives the
    // earliest such coface (a coface's index grows with its new vertex). The search runs over
    // blocks of vertices with a branch-free test per vertex, so that it vectorises.
    index_t zero_coface_dense(const index_t* desc, int d, T value, index_t* cdesc) const {
        const T* rows[8];
        for (int i = 0; i <= d; ++i) rows[i] = dist_.row(desc[i]);
        index_t v = 0;
        for (;;) {
            switch (d) {
                case 1:
                    v = first_within<2>(rows, value, v);
                    break;
                case 2:
                    v = first_within<3>(rows, value, v);
                    break;
                case 3:
                    v = first_within<4>(rows, value, v);
                    break;
                default:
                    v = first_within_any(rows, d + 1, value, v);
            }
            if (v < 0) return -1;
            bool own = false;
            for (int i = 0; i <= d; ++i) own |= desc[i] == v;
            if (!own) break;
            ++v;  // the simplex's own vertices are at distance 0 of themselves
        }
        // desc is decreasing: v takes position j among the ascending vertices.
        index_t idx = 0;
        int j = 0;
        for (int i = d; i >= 0; --i) {  // ascending order of the simplex's vertices
            const index_t u = desc[i];
            if (u < v) {
                idx += binom_(u, j + 1);
                ++j;
            }
        }
        idx += binom_(v, j + 1);
        for (int i = d - j; i >= 0; --i) idx += binom_(desc[i], d + 2 - i);
        if (cdesc) {
            int k = 0;
            for (int i = 0; i <= d - j; ++i) cdesc[k++] = desc[i];
            cdesc[k++] = v;
            for (int i = d - j + 1; i <= d; ++i) cdesc[k++] = desc[i];
        }
        return idx;
    }

    // First v >= from with rows[i][v] <= value for every i < K, or -1.
    template <int K>
    index_t first_within(const T* const* rows, T value, index_t from) const {
        return rips_detail::first_within<K>(rows, value, from, n_);
    }

    index_t first_within_any(const T* const* rows, int k, T value, index_t from) const {
        for (index_t v = from; v < n_; ++v) {
            bool ok = true;
            for (int i = 0; i < k; ++i) ok &= rows[i][v] <= value;
            if (ok) return v;
        }
        return -1;
    }

    // The latest facet of a simplex if it has the simplex's own value, else -1.
    index_t zero_facet(const index_t* desc, int d, T value, index_t* facet_desc) const {
        // Dropping the smallest vertex gives the largest facet index: scan from the bottom.
        for (int drop = d; drop >= 0; --drop) {
            int k = 0;
            for (int i = 0; i <= d; ++i)
                if (i != drop) facet_desc[k++] = desc[i];
            if (diameter(facet_desc, d - 1) == value) {
                index_t idx = 0;
                for (int i = 0; i < d; ++i) idx += binom_(facet_desc[i], d - i);
                return idx;
            }
        }
        return -1;
    }

    // Zero-persistence apparent pairs (Bauer 2021, section 3.5): sigma's earliest coface tau has
    // sigma's value and sigma is tau's latest facet.
    index_t apparent_coface(index_t idx, int d, T value) const {
        index_t desc[8];
        vertices(idx, d, desc);
        return apparent_coface(desc, idx, d, value);
    }

    index_t apparent_coface(const index_t* desc, index_t idx, int d, T value) const {
        index_t cdesc[8], fdesc[8];
        const index_t tau = zero_coface(desc, d, value, cdesc);
        if (tau < 0) return -1;
        // A new vertex below sigma's: dropping it gives tau's latest facet, which is sigma.
        if (cdesc[d + 1] != desc[d]) return tau;
        return zero_facet(cdesc, d + 1, value, fdesc) == idx ? tau : -1;
    }

    index_t apparent_facet(index_t idx, int d, T value) const {
        index_t desc[8];
        vertices(idx, d, desc);
        return apparent_facet(desc, idx, d, value);
    }

    index_t apparent_facet(const index_t* desc, index_t idx, int d, T value) const {
        index_t fdesc[8];
        const index_t sigma = zero_facet(desc, d, value, fdesc);
        if (sigma < 0) return -1;
        return zero_coface(fdesc, d - 1, value) == idx ? sigma : -1;
    }

    // ---- dimension 0 -------------------------------------------------------------------------
    T enclosing_radius() const {
        static_assert(!Metric::sparse, "dense metrics only");
        std::vector<T> radius(static_cast<std::size_t>(n_));
        parallel_for(n_, opt_.n_threads, [&](index_t i) {
            T m = T(0);
            const T* r = dist_.row(i);
            for (index_t j = 0; j < n_; ++j) m = std::max(m, r[j]);
            radius[static_cast<std::size_t>(i)] = m;
        });
        return *std::min_element(radius.begin(), radius.end());
    }

    // Minimum spanning forest (Prim on a dense metric, a sort of the edges on a sparse one), then
    // H0 pairs in Kruskal's order with the elder rule. Returns the forest's edge indices, sorted:
    // they are H0's deaths, cleared from dimension 1.
    std::vector<index_t> dim0(rips_result& out) {
        std::vector<entry> forest = spanning_forest();
        std::sort(forest.begin(), forest.end(), rips_detail::before<T>);
        std::vector<index_t> mst;
        mst.reserve(forest.size());
        union_find uf = kruskal_h0(
            n_, forest,
            [this](const entry& e) {
                index_t ev[2];
                vertices(e.index, 1, ev);
                return std::pair<index_t, index_t>(ev[0], ev[1]);
            },
            [](index_t a, index_t b) { return a > b; },  // vertices enter by index: the larger is younger
            [&](index_t birth, const entry& e, index_t u, index_t v) {
                mst.push_back(e.index);
                if (opt_.keep_zero || e.value > T(0)) out.push(0, birth, birth, u, v);
            });
        for (index_t v = 0; v < n_; ++v)
            if (uf.find(v) == v) out.push(0, v, v, -1, -1);
        std::sort(mst.begin(), mst.end());
        return mst;
    }

    std::vector<entry> spanning_forest() const {
        if constexpr (Metric::sparse) {
            std::vector<entry> edges;  // every edge (Kruskal skips the cycle edges)
            for (index_t a = 0; a < n_; ++a)
                for (index_t p = dist_.begin(a); p < dist_.end(a); ++p) {
                    const index_t b = dist_.nbr[static_cast<std::size_t>(p)];
                    const T x = dist_.val[static_cast<std::size_t>(p)];
                    if (b < a && x <= thr_) edges.push_back({x, binom_(a, 2) + b});
                }
            return edges;
        } else {
            return prim();
        }
    }

    std::vector<entry> prim() const {
        const auto N = static_cast<std::size_t>(n_);
        std::vector<index_t> best_from(N, -1);
        std::vector<T> best(N, std::numeric_limits<T>::infinity());
        std::vector<char> in_tree(N, 0);
        std::vector<entry> forest;
        forest.reserve(N);
        index_t remaining = n_;
        index_t next = 0;
        while (remaining > 0) {
            // Start a new tree at the smallest vertex not yet reached.
            while (in_tree[static_cast<std::size_t>(next)]) ++next;
            index_t cur = next;
            for (;;) {
                check_interrupt();
                in_tree[static_cast<std::size_t>(cur)] = 1;
                --remaining;
                index_t pick = -1;
                T pick_val = T(0);
                index_t pick_idx = 0;
                for (index_t v = 0; v < n_; ++v) {
                    const auto sv = static_cast<std::size_t>(v);
                    if (in_tree[sv]) continue;
                    const T x = dist_(cur, v);
                    if (x <= thr_) {
                        const index_t a = std::max(cur, v), b = std::min(cur, v);
                        const index_t e = binom_(a, 2) + b;
                        const index_t old =
                            best_from[sv] < 0 ? -1 : binom_(std::max(best_from[sv], v), 2) + std::min(best_from[sv], v);
                        if (best_from[sv] < 0 || x < best[sv] || (x == best[sv] && e < old)) {
                            best[sv] = x;
                            best_from[sv] = cur;
                        }
                    }
                    if (best_from[sv] >= 0) {
                        const index_t e = binom_(std::max(best_from[sv], v), 2) + std::min(best_from[sv], v);
                        if (pick < 0 || best[sv] < pick_val || (best[sv] == pick_val && e < pick_idx)) {
                            pick = v;
                            pick_val = best[sv];
                            pick_idx = e;
                        }
                    }
                }
                if (pick < 0) break;
                forest.push_back({pick_val, pick_idx});
                cur = pick;
            }
        }
        return forest;
    }

    // ---- dimensions >= 1 ---------------------------------------------------------------------
    // Calls f(vertices (decreasing), index, value) on each d-simplex with value <= threshold whose
    // largest vertex is `top`.
    template <class F>
    void simplices_with_top(index_t top, int d, F&& f) const {
        index_t desc[8];
        desc[0] = top;
        recurse(desc, 1, d, binom_(top, d + 1), T(0), top, f);
    }

    template <class F>
    void recurse(index_t* desc, int filled, int d, index_t idx, T value, index_t below, F& f) const {
        if (filled == d + 1 || filled >= max_vertices) {
            f(static_cast<const index_t*>(desc), idx, value);
            return;
        }
        const int k = d + 1 - filled;  // binomial order of the next (smaller) vertex
        if constexpr (Metric::sparse) {
            // Candidates: neighbours of the last vertex placed that are below it.
            const index_t last = desc[filled - 1];
            for (index_t p = dist_.begin(last); p < dist_.end(last); ++p) {
                const index_t v = dist_.nbr[static_cast<std::size_t>(p)];
                if (v >= below) break;
                T m = std::max(value, dist_.val[static_cast<std::size_t>(p)]);
                bool ok = m <= thr_;
                for (int i = 0; i < filled - 1 && ok; ++i) {
                    const T x = dist_(desc[i], v);
                    ok = x <= thr_;
                    m = x > m ? x : m;
                }
                if (!ok) continue;
                desc[filled] = v;
                recurse(desc, filled + 1, d, idx + binom_(v, k), m, v, f);
            }
            return;
        }
        for (index_t v = k - 1; v < below; ++v) {
            T m = value;
            bool ok = true;
            for (int i = 0; i < filled; ++i) {
                const T x = dist_(desc[i], v);
                if (x > thr_) {
                    ok = false;
                    break;
                }
                if (x > m) m = x;
            }
            if (!ok) continue;
            desc[filled] = v;
            recurse(desc, filled + 1, d, idx + binom_(v, k), m, v, f);
        }
    }

    // Columns of dimension d to reduce, latest first: every d-simplex within the threshold that is
    // neither cleared (a death one dimension down) nor in a zero-persistence apparent pair.
    std::vector<entry> assemble(int d, const std::vector<index_t>& mst,
                                const rips_detail::index_map& pivots) {
        const int workers = resolve_threads(opt_.n_threads, n_);
        const index_t chunks = workers <= 1 ? 1 : std::min<index_t>(n_, 8 * workers);
        std::vector<std::vector<entry>> parts(static_cast<std::size_t>(chunks));
        parallel_for(chunks, workers, [&](index_t c) {
            auto& part = parts[static_cast<std::size_t>(c)];
            interrupt_countdown poll;
            // Interleave tops so that chunks get similar work (cost grows with the top vertex).
            for (index_t top = c; top < n_; top += chunks) {
                simplices_with_top(top, d, [&](const index_t* desc, index_t idx, T value) {
                    poll.tick();
                    if (d == 1) {
                        if (std::binary_search(mst.begin(), mst.end(), idx)) return;
                    } else if (pivots.find(idx) >= 0) {
                        return;
                    }
                    if (fast_) {  // apparent pairs form a matching: the order of the tests is free
                        if (apparent_coface(desc, idx, d, value) >= 0) return;
                        if (d > 1 && apparent_facet(desc, idx, d, value) >= 0) return;
                    }
                    part.push_back({value, idx});
                });
            }
        });
        std::size_t total = 0;
        for (auto& p : parts) total += p.size();
        check_memory(static_cast<double>(total) * sizeof(entry) * 2, d, "columns to reduce");
        std::vector<entry> columns;
        columns.reserve(total);
        for (auto& p : parts) columns.insert(columns.end(), p.begin(), p.end());
        std::sort(columns.begin(), columns.end(),
                  [](const entry& a, const entry& b) { return rips_detail::before(b, a); });
        return columns;
    }

    void check_memory(double bytes, int d, const char* what) const {
        if (bytes > opt_.memory_budget)
            throw std::invalid_argument("Rips in dimension " + std::to_string(d) + " needs about " +
                                        rips_detail::bytes_str(bytes) + " for its " + what +
                                        ", over the memory budget of " + rips_detail::bytes_str(opt_.memory_budget) +
                                        "; pass a smaller `threshold` (or lower max_dim)");
    }

    // Pushes the coboundary of a d-simplex into the working heap.
    template <class Heap>
    void push_coboundary(index_t idx, int d, T value, Heap& heap) const {
        index_t desc[8];
        vertices(idx, d, desc);
        for_each_coface(desc, d, value, [&](index_t c, T m) {
            heap.push({m, c});
            return true;
        });
    }

    template <class Heap>
    static bool pop_pivot(Heap& heap, entry& pivot) {
        while (!heap.empty()) {
            entry top = heap.top();
            heap.pop();
            if (!heap.empty() && heap.top().index == top.index) {
                heap.pop();  // Z2: two equal entries cancel
                continue;
            }
            pivot = top;
            heap.push(top);  // the pivot stays in the column: it is only looked at
            return true;
        }
        return false;
    }

    // The working state of one column: its coboundary (a binary heap, earliest on top, entries
    // cancelling in pairs), the simplices added to it (V's column), and its current pivot.
    struct column_state {
        struct heap_t {
            std::vector<entry> v;
            bool empty() const { return v.empty(); }
            const entry& top() const { return v.front(); }
            void push(const entry& e) {
                v.push_back(e);
                std::push_heap(v.begin(), v.end(), rips_detail::later_first<T>());
            }
            void pop() {
                std::pop_heap(v.begin(), v.end(), rips_detail::later_first<T>());
                v.pop_back();
            }
        } heap;
        std::vector<entry> work;
        entry pivot{};
        bool has_pivot = false;
        bool emergent = false;  // pivot found without enumerating the whole coboundary
    };

    struct reduction_matrix {  // V, column by column (each column's own simplex is implicit)
        std::vector<index_t> start{0};
        std::vector<entry> entries;
    };

    // First pivot of sigma's column. Emergent pairs (Bauer 2021, section 3.5): when the earliest
    // coface has sigma's value it is the pivot, found without enumerating the rest.
    void start_column(const entry& sigma, int d, column_state& st) const {
        index_t dv[8];
        vertices(sigma.index, d, dv);
        st.heap.v.clear();
        st.work.clear();
        st.emergent = false;
        index_t first_equal = -1;
        for_each_coface(dv, d, sigma.value, [&](index_t c, T m) {
            if (m == sigma.value) {
                first_equal = c;
                return false;
            }
            st.heap.v.push_back({m, c});
            return true;
        });
        if (first_equal >= 0 && !(fast_ && apparent_facet(first_equal, d + 1, sigma.value) >= 0)) {
            st.emergent = true;
            st.pivot = {sigma.value, first_equal};
            st.has_pivot = true;
            return;
        }
        if (first_equal >= 0) full_coboundary(dv, d, sigma.value, st);
        std::make_heap(st.heap.v.begin(), st.heap.v.end(), rips_detail::later_first<T>());
        st.has_pivot = pop_pivot(st.heap, st.pivot);
    }

    void full_coboundary(const index_t* dv, int d, T value, column_state& st) const {
        st.heap.v.clear();
        for_each_coface(dv, d, value, [&](index_t c, T m) {
            st.heap.v.push_back({m, c});
            return true;
        });
    }

    // Reduces a column until its pivot is claimed by no column in `pivots` and is in no apparent
    // pair (a candidate pair), or the column is zero. Reads shared state only.
    void advance(const entry& sigma, int d, column_state& st, const rips_detail::index_map& pivots,
                 const std::vector<entry>& columns, const reduction_matrix& V) const {
        while (st.has_pivot) {
            check_interrupt();
            const index_t claimed = pivots.find(st.pivot.index);
            if (claimed >= 0) {
                if (st.emergent) {  // the shortcut does not hold any more: build the whole column
                    index_t dv[8];
                    vertices(sigma.index, d, dv);
                    full_coboundary(dv, d, sigma.value, st);
                    std::make_heap(st.heap.v.begin(), st.heap.v.end(), rips_detail::later_first<T>());
                    st.emergent = false;
                    st.has_pivot = pop_pivot(st.heap, st.pivot);
                    continue;
                }
                const auto j = static_cast<std::size_t>(claimed);
                const entry other = columns[j];
                st.work.push_back(other);
                push_coboundary(other.index, d, other.value, st.heap);
                for (index_t k = V.start[j]; k < V.start[j + 1]; ++k) {
                    const entry e = V.entries[static_cast<std::size_t>(k)];
                    st.work.push_back(e);
                    push_coboundary(e.index, d, e.value, st.heap);
                }
                st.has_pivot = pop_pivot(st.heap, st.pivot);
                continue;
            }
            if (fast_ && !st.emergent) {
                const index_t f = apparent_facet(st.pivot.index, d + 1, st.pivot.value);
                if (f >= 0) {  // the pivot is claimed by an apparent pair (f, pivot): add f's column
                    st.work.push_back({st.pivot.value, f});
                    push_coboundary(f, d, st.pivot.value, st.heap);
                    st.has_pivot = pop_pivot(st.heap, st.pivot);
                    continue;
                }
            }
            return;
        }
    }

    // Columns are reduced in blocks: in parallel, each column of a block is reduced against the
    // pivots of the blocks before it (read-only), up to its first candidate pivot; then, in
    // order, each column finishes against the pivots of its own block's earlier columns too.
    // Both phases take exactly the steps of the sequential algorithm, so the result does not
    // depend on the thread count.
    rips_detail::index_map reduce(int d, const std::vector<entry>& columns, rips_result& out) {
        rips_detail::index_map pivots;  // death simplex -> column position
        pivots.reserve(columns.size());
        reduction_matrix V;
        const int workers = resolve_threads(opt_.n_threads, static_cast<index_t>(columns.size()));
        const std::size_t block = workers > 1 ? 32 * static_cast<std::size_t>(workers) : 1;
        std::vector<column_state> states(block);
        index_t desc[8], ddesc[8];

        for (std::size_t first = 0; first < columns.size(); first += block) {
            const std::size_t count = std::min(block, columns.size() - first);
            parallel_for(static_cast<index_t>(count), workers, [&](index_t i) {
                const auto k = static_cast<std::size_t>(i);
                start_column(columns[first + k], d, states[k]);
                advance(columns[first + k], d, states[k], pivots, columns, V);
            });
            double held = 0;
            for (std::size_t k = 0; k < count; ++k) {
                check_interrupt();
                const std::size_t col = first + k;
                const entry sigma = columns[col];
                column_state& st = states[k];
                advance(sigma, d, st, pivots, columns, V);
                vertices(sigma.index, d, desc);
                if (st.has_pivot) {
                    pivots.insert(st.pivot.index, static_cast<index_t>(col));
                    if (opt_.keep_zero || st.pivot.value > sigma.value) {
                        index_t bu, bv, du, dv;
                        critical_edge(desc, d, bu, bv);
                        vertices(st.pivot.index, d + 1, ddesc);
                        critical_edge(ddesc, d + 1, du, dv);
                        out.push(d, bu, bv, du, dv);
                    }
                } else {
                    index_t bu, bv;
                    critical_edge(desc, d, bu, bv);
                    out.push(d, bu, bv, -1, -1);
                }
                // Store V's column in canonical form (Z2: pairs cancel).
                auto& work = st.work;
                std::sort(work.begin(), work.end(), [](const entry& a, const entry& b) { return a.index < b.index; });
                for (std::size_t i = 0; i < work.size();) {
                    std::size_t j = i;
                    while (j < work.size() && work[j].index == work[i].index) ++j;
                    if ((j - i) % 2 == 1) V.entries.push_back(work[i]);
                    i = j;
                }
                V.start.push_back(static_cast<index_t>(V.entries.size()));
                held += static_cast<double>(st.heap.v.capacity()) * sizeof(entry);
            }
            const double stored = static_cast<double>(V.entries.size()) * sizeof(entry) + held;
            if (stored > opt_.memory_budget) check_memory(stored, d, "reduction");
        }
        return pivots;
    }

    const Metric& dist_;
    index_t n_;
    rips_options opt_;
    rips_detail::binomials binom_;
    T thr_;
    bool fast_ = true;
};

}  // namespace topolayer
