// Geometry of the alpha filtration: circumballs of 0..3-simplices (full-dimensional ones by an
// adjugate solve of their edge vectors, flat tetrahedra by a minimum-norm solve of their Gram
// system), the flatness test, and a k-d tree over the points for emptiness tests of balls.
// Sums follow NumPy's order (lane_sum), so values equal in exact arithmetic compare the same way
// as in the NumPy formulation they were checked against. O(1) per simplex; O(log n) per query.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "../types.hpp"

namespace topolayer {

// A full-dimensional k-simplex is thin when |det| of its edge vectors is at most this fraction of
// (mean squared edge length)^(k/2). Qhull's flat simplices on exactly degenerate input measure
// ~1e-16, and within ~1e-7 of a degeneracy (float32 grids, rounded coordinates) Qhull's own
// rounding already bends its output. Real Delaunay simplices this thin are common on the hull of
// large clouds, so a thin simplex counts as flat only when the exact predicates (exact.hpp) find
// it degenerate or not locally Delaunay (alpha.hpp: flat_top_simplices).
inline constexpr double alpha_thin_rtol = 1e-6;
// Thinner than this, a simplex is flat whatever the exact predicates say: input within ~1e-9 of a
// degeneracy, where neither the radii nor the attachment tests resolve in double precision.
inline constexpr double alpha_flat_rtol = 1e-9;

namespace alpha_detail {

using vec3 = std::array<double, 3>;
using mat3 = double[3][3];

// Sum of up to nine terms in eight lanes, then halves: the order in which NumPy's vectorised
// einsum adds up to eight terms (three add as (t0 + t2) + t1). The formulas below are those of a
// NumPy implementation, and adding in its order keeps values that are equal in exact arithmetic
// (cospherical points) comparing the same way.
inline double lane_sum(const double* t, int n) {
    double l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < n; ++i) l[i % 8] += t[i];
    return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

inline double dot(const double* a, const double* b, int n) {
    double t[3];
    for (int i = 0; i < n; ++i) t[i] = a[i] * b[i];
    return lane_sum(t, n);
}

inline vec3 cross(const double* a, const double* b) {
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

// det(v) for the k x k matrix of rows v (k = 2, 3), and y = adj(v) b when y is given: v x = b is
// then x = y / det(v), with no pivoting.
inline double adjugate_solve(const mat3& v, const double* b, int k, double* y) {
    if (k == 2) {
        const double det = v[0][0] * v[1][1] - v[0][1] * v[1][0];
        if (y != nullptr) {
            y[0] = v[1][1] * b[0] - v[0][1] * b[1];
            y[1] = v[0][0] * b[1] - v[1][0] * b[0];
        }
        return det;
    }
    const vec3 c0 = cross(v[1], v[2]);
    const double det = dot(v[0], c0.data(), 3);
    if (y != nullptr) {
        const vec3 c1 = cross(v[2], v[0]), c2 = cross(v[0], v[1]);
        for (int d = 0; d < 3; ++d) y[d] = (c0[d] * b[0] + c1[d] * b[1]) + c2[d] * b[2];
    }
    return det;
}

// |det| of the edge vectors v (rows) of a k-simplex in R^k over (mean squared edge
// length)^(k/2): 0 for a degenerate simplex, alpha_thin_rtol or less for a thin one.
inline double relative_volume(const mat3& v, int k) {
    double t[9];
    int m = 0;
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < k; ++j) t[m++] = v[i][j] * v[i][j];
    const double scale = std::pow(lane_sum(t, m) / k, k / 2.0);
    return std::abs(adjugate_solve(v, nullptr, k, nullptr)) / scale;
}

// lam = pinv(g) b for a symmetric positive semi-definite k x k matrix g (k = 2, 3): the
// minimum-norm solution. Eigenvectors by cyclic Jacobi rotations (Golub & Van Loan, "Matrix
// Computations", 8.5); eigenvalues not above 1e-15 of the largest are dropped, as NumPy's pinv
// drops small singular values.
inline void min_norm_solve(const mat3& g, const double* b, int k, double* lam) {
    double a[3][3], V[3][3];
    double norm2 = 0;
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < k; ++j) {
            a[i][j] = g[i][j];
            V[i][j] = i == j ? 1.0 : 0.0;
            norm2 += a[i][j] * a[i][j];
        }
    const double norm = std::sqrt(norm2);
    for (int sweep = 0; sweep < 32; ++sweep) {
        double off2 = 0;
        for (int i = 0; i < k; ++i)
            for (int j = 0; j < k; ++j)
                if (i != j) off2 += a[i][j] * a[i][j];
        if (std::sqrt(off2) <= 0x1p-53 * norm) break;
        bool rotated = false;
        for (int p = 0; p + 1 < k; ++p)
            for (int q = p + 1; q < k; ++q) {
                const double apq = a[p][q];
                if (apq == 0) continue;
                // The rotation that zeroes a[p][q], with |angle| <= pi/4 (the smaller root t).
                const double tau = (a[q][q] - a[p][p]) / (2 * apq);
                const double t = tau >= 0 ? 1 / (tau + std::hypot(1.0, tau)) : -1 / (-tau + std::hypot(1.0, tau));
                const double c = 1 / std::sqrt(1 + t * t), s = t * c;
                if (s == 0) continue;
                rotated = true;
                for (int r = 0; r < k; ++r) {
                    const double arp = a[r][p], arq = a[r][q];
                    a[r][p] = c * arp - s * arq;
                    a[r][q] = s * arp + c * arq;
                }
                for (int r = 0; r < k; ++r) {
                    const double apr = a[p][r], aqr = a[q][r];
                    a[p][r] = c * apr - s * aqr;
                    a[q][r] = s * apr + c * aqr;
                }
                for (int r = 0; r < k; ++r) {
                    const double vrp = V[r][p], vrq = V[r][q];
                    V[r][p] = c * vrp - s * vrq;
                    V[r][q] = s * vrp + c * vrq;
                }
            }
        if (!rotated) break;
    }
    double largest = 0;
    for (int e = 0; e < k; ++e) largest = std::max(largest, std::abs(a[e][e]));
    for (int i = 0; i < k; ++i) lam[i] = 0;
    for (int e = 0; e < k; ++e) {
        if (!(a[e][e] > 1e-15 * largest)) continue;
        double proj = 0;
        for (int i = 0; i < k; ++i) proj += V[i][e] * b[i];
        proj /= a[e][e];
        for (int i = 0; i < k; ++i) lam[i] += V[i][e] * proj;
    }
}

struct ball {
    double r2 = 0;
    vec3 centre{0, 0, 0};
};

// Smallest circumscribing ball of the simplex s (k + 1 vertex ids, k <= D) of points p (n, D):
// the circumcentre in the simplex's affine hull. Full-dimensional simplices solve with their edge
// vectors (v x = b), whose condition number is the square root of the Gram matrix's (thin
// simplices of near-degenerate input); lower-dimensional ones solve the Gram system g lam = b,
// x = lam v. A flat tetrahedron (four concyclic points of a degenerate 3D triangulation, as the
// caller classes it) takes the minimum-norm solution of its Gram system, the circle of its
// vertices; of a triangle, only an exactly singular one does.
inline ball circumball(const double* p, int D, const cell_t* s, int k, bool flat_tet = false) {
    ball out;
    const double* p0 = p + static_cast<index_t>(s[0]) * D;
    for (int d = 0; d < D; ++d) out.centre[static_cast<std::size_t>(d)] = p0[d];
    if (k == 0) return out;
    mat3 v{}, g{};
    for (int i = 0; i < k; ++i) {
        const double* pi = p + static_cast<index_t>(s[i + 1]) * D;
        for (int d = 0; d < D; ++d) v[i][d] = pi[d] - p0[d];
    }
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < k; ++j) g[i][j] = dot(v[i], v[j], D);
    double b[3] = {0, 0, 0};
    for (int i = 0; i < k; ++i) b[i] = 0.5 * g[i][i];
    double x[3] = {0, 0, 0};
    if (k == D) {
        double y[3];
        const double det = adjugate_solve(v, b, k, y);
        const bool flat = k == 3 ? flat_tet : det == 0;
        if (!flat) {
            for (int d = 0; d < D; ++d) x[d] = y[d] / det;
        } else {
            double lam[3];
            min_norm_solve(g, b, k, lam);
            for (int d = 0; d < D; ++d) {
                double acc = lam[0] * v[0][d];
                for (int i = 1; i < k; ++i) acc += lam[i] * v[i][d];
                x[d] = acc;
            }
        }
        out.r2 = dot(x, x, D);
    } else if (k == 1) {
        out.r2 = 0.5 * b[0];
        for (int d = 0; d < D; ++d) x[d] = 0.5 * v[0][d];
    } else {  // a triangle in R^3: |a x b|^2 directly, not g00 g11 - g01^2 (which cancels)
        const vec3 nrm = cross(v[0], v[1]);
        double det = dot(nrm.data(), nrm.data(), 3);
        if (det == 0) det = std::numeric_limits<double>::min();
        const double l0 = (g[1][1] * b[0] - g[0][1] * b[1]) / det;
        const double l1 = (g[0][0] * b[1] - g[0][1] * b[0]) / det;
        out.r2 = l0 * b[0] + l1 * b[1];
        for (int d = 0; d < D; ++d) x[d] = l0 * v[0][d] + l1 * v[1][d];
    }
    for (int d = 0; d < D; ++d) out.centre[static_cast<std::size_t>(d)] = p0[d] + x[d];
    return out;
}

// Squared distance, summed in coordinate order.
inline double distance2(const double* a, const double* b, int D) {
    double s = 0;
    for (int d = 0; d < D; ++d) {
        const double t = a[d] - b[d];
        s += t * t;
    }
    return s;
}

// A kd-tree over the points for one question: the squared distance to the nearest of them.
class point_tree {
  public:
    point_tree(const double* p, index_t n, int D)
        : p_(p), D_(D), order_(static_cast<std::size_t>(n)), axis_(static_cast<std::size_t>(n), 0) {
        std::iota(order_.begin(), order_.end(), index_t{0});
        build(0, n);
    }

    double nearest2(const double* q) const {
        double best = std::numeric_limits<double>::infinity();
        search(0, static_cast<index_t>(order_.size()), q, best);
        return best;
    }

    // Whether some point lies strictly inside the ball (with the margin of the attachment test).
    bool holds_point(double r2, const double* centre) const {
        const double d = std::sqrt(nearest2(centre));
        return d * d < r2 * (1 - 1e-12);
    }

  private:
    static constexpr index_t leaf = 8;
    const double* point(index_t i) const { return p_ + order_[static_cast<std::size_t>(i)] * D_; }

    // Split [lo, hi) at its middle along the axis of widest extent; axis_[mid] records it.
    void build(index_t lo, index_t hi) {
        if (hi - lo <= leaf) return;
        double lo_c[3], hi_c[3];
        for (int d = 0; d < D_; ++d) lo_c[d] = hi_c[d] = point(lo)[d];
        for (index_t i = lo + 1; i < hi; ++i)
            for (int d = 0; d < D_; ++d) {
                lo_c[d] = std::min(lo_c[d], point(i)[d]);
                hi_c[d] = std::max(hi_c[d], point(i)[d]);
            }
        int axis = 0;
        for (int d = 1; d < D_; ++d)
            if (hi_c[d] - lo_c[d] > hi_c[axis] - lo_c[axis]) axis = d;
        const index_t mid = lo + (hi - lo) / 2;
        const double* p = p_;
        const int D = D_;
        std::nth_element(order_.begin() + lo, order_.begin() + mid, order_.begin() + hi,
                         [p, D, axis](index_t a, index_t b) { return p[a * D + axis] < p[b * D + axis]; });
        axis_[static_cast<std::size_t>(mid)] = axis;
        build(lo, mid);
        build(mid + 1, hi);
    }

    void search(index_t lo, index_t hi, const double* q, double& best) const {
        if (hi - lo <= leaf) {
            for (index_t i = lo; i < hi; ++i) best = std::min(best, distance2(point(i), q, D_));
            return;
        }
        const index_t mid = lo + (hi - lo) / 2;
        const int axis = axis_[static_cast<std::size_t>(mid)];
        best = std::min(best, distance2(point(mid), q, D_));
        const double gap = q[axis] - point(mid)[axis];
        if (gap < 0) {
            search(lo, mid, q, best);
            if (gap * gap < best) search(mid + 1, hi, q, best);
        } else {
            search(mid + 1, hi, q, best);
            if (gap * gap < best) search(lo, mid, q, best);
        }
    }

    const double* p_;
    int D_;
    std::vector<index_t> order_;
    std::vector<int> axis_;
};

}  // namespace alpha_detail
}  // namespace topolayer
