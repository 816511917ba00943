// Exact signs of the Delaunay predicates (orientation, in-circle, in-sphere) of double
// coordinates, for the few thin simplices whose floating-point tests cannot be trusted.
// Arithmetic on floating-point expansions (Priest; Shewchuk, "Adaptive Precision Floating-Point
// Arithmetic and Fast Robust Geometric Predicates", 1997): a value is a sum of doubles, kept
// nonoverlapping and in increasing magnitude, so its sign is that of its largest term. Each
// operation is exact (error-free sums and fused-multiply products, no rounding anywhere), and
// every result is built one term at a time by the growing sum, which keeps that form. Not
// adaptive and not fast: the callers run it on a handful of simplices per cloud.
// Needs round-to-nearest IEEE doubles without contraction (the build passes -ffp-contract=off).
#pragma once

#include <cmath>
#include <vector>

namespace topolayer::exact {

class expansion {
  public:
    expansion() = default;
    explicit expansion(double x) {
        if (x != 0) terms_.push_back(x);
    }

    // a - b, exactly (two terms at most).
    static expansion difference(double a, double b) {
        expansion out;
        double s, e;
        two_sum(a, -b, s, e);
        if (e != 0) out.terms_.push_back(e);
        if (s != 0) out.terms_.push_back(s);
        return out;
    }

    int sign() const { return terms_.empty() ? 0 : (terms_.back() > 0 ? 1 : -1); }

    // The value to within a few units in the last place: the terms summed from the smallest.
    double estimate() const {
        double s = 0;
        for (double t : terms_) s += t;
        return s;
    }

    expansion operator-() const {
        expansion out = *this;
        for (double& t : out.terms_) t = -t;
        return out;
    }
    friend expansion operator+(expansion a, const expansion& b) {
        for (double t : b.terms_) a.grow(t);
        return a;
    }
    friend expansion operator-(const expansion& a, const expansion& b) { return a + (-b); }
    friend expansion operator*(const expansion& a, const expansion& b) {
        expansion out;
        for (double x : a.terms_)
            for (double y : b.terms_) {
                const double p = x * y, e = std::fma(x, y, -p);  // x y = p + e exactly
                out.grow(e);
                out.grow(p);
            }
        return out;
    }

  private:
    // s + e = a + b exactly, s = fl(a + b) (Knuth's branch-free form).
    static void two_sum(double a, double b, double& s, double& e) {
        s = a + b;
        const double bv = s - a, av = s - bv;
        e = (a - av) + (b - bv);
    }

    // Adds b: the running sum absorbs the terms from the smallest up, each rounding error stays
    // as a term (zeros dropped). A nonoverlapping increasing sequence stays one.
    void grow(double b) {
        std::vector<double> h;
        h.reserve(terms_.size() + 1);
        double q = b;
        for (double t : terms_) {
            double s, e;
            two_sum(q, t, s, e);
            if (e != 0) h.push_back(e);
            q = s;
        }
        if (q != 0) h.push_back(q);
        terms_.swap(h);
    }

    std::vector<double> terms_;
};

namespace detail {
inline expansion det2(const expansion& a, const expansion& b, const expansion& c,
                      const expansion& d) {
    return a * d - b * c;
}
// det of the 3 x 3 matrix of rows r[0..2].
inline expansion det3(const expansion (*r)[3]) {
    return r[0][0] * det2(r[1][1], r[1][2], r[2][1], r[2][2]) -
           r[0][1] * det2(r[1][0], r[1][2], r[2][0], r[2][2]) +
           r[0][2] * det2(r[1][0], r[1][1], r[2][0], r[2][1]);
}
}  // namespace detail

// Sign of det[p_1 - p_0, ..., p_k - p_0] for k + 1 points of R^k (k = 2, 3), each a pointer to k
// coordinates: zero exactly when they are affinely dependent.
inline int orientation(const double* const* p, int k) {
    expansion r[3][3];
    for (int i = 0; i < k; ++i)
        for (int d = 0; d < k; ++d) r[i][d] = expansion::difference(p[i + 1][d], p[0][d]);
    if (k == 2) return detail::det2(r[0][0], r[0][1], r[1][0], r[1][1]).sign();
    return detail::det3(r).sign();
}

// For k + 1 affinely independent points p of R^k (k = 2, 3): +1 when q lies strictly inside the
// sphere (circle) through them, 0 on it, -1 outside. The lifted determinant det[p_i - q,
// |p_i - q|^2] has the sign of the orientation times (-1)^k for a point inside.
inline int in_sphere(const double* const* p, int k, const double* q) {
    const int o = orientation(p, k);
    if (o == 0) return 0;
    expansion r[4][4];
    for (int i = 0; i <= k; ++i) {
        expansion lift;
        for (int d = 0; d < k; ++d) {
            r[i][d] = expansion::difference(p[i][d], q[d]);
            lift = lift + r[i][d] * r[i][d];
        }
        r[i][k] = lift;
    }
    expansion det;
    if (k == 2) {
        const expansion rows[3][3] = {{r[0][0], r[0][1], r[0][2]},
                                      {r[1][0], r[1][1], r[1][2]},
                                      {r[2][0], r[2][1], r[2][2]}};
        det = detail::det3(rows);
    } else {
        // Along the lifted column: sum_i (-1)^(i + 3) lift_i minor_i.
        for (int i = 0; i < 4; ++i) {
            expansion minor_rows[3][3];
            for (int a = 0, m = 0; a < 4; ++a) {
                if (a == i) continue;
                for (int d = 0; d < 3; ++d) minor_rows[m][d] = r[a][d];
                ++m;
            }
            const expansion term = r[i][3] * detail::det3(minor_rows);
            det = (i % 2 == 1) ? det + term : det - term;
        }
    }
    return det.sign() * o * (k == 2 ? 1 : -1);
}

// The squared circumradius of a full-dimensional simplex of R^3 (four points, not coplanar),
// to within a few units in the last place: |adj(V) b|^2 / det(V)^2 for the edge vectors V
// and b_i = |V_i|^2 / 2, all exact but the final division.
inline double circumradius2(const double* const* p) {
    expansion v[3][3], b[3];
    const expansion half(0.5);
    for (int i = 0; i < 3; ++i) {
        for (int d = 0; d < 3; ++d) v[i][d] = expansion::difference(p[i + 1][d], p[0][d]);
        b[i] = half * (v[i][0] * v[i][0] + v[i][1] * v[i][1] + v[i][2] * v[i][2]);
    }
    auto cross = [](const expansion* a, const expansion* c, expansion* out) {
        out[0] = a[1] * c[2] - a[2] * c[1];
        out[1] = a[2] * c[0] - a[0] * c[2];
        out[2] = a[0] * c[1] - a[1] * c[0];
    };
    expansion c[3][3];
    cross(v[1], v[2], c[0]);
    cross(v[2], v[0], c[1]);
    cross(v[0], v[1], c[2]);
    const expansion det = v[0][0] * c[0][0] + v[0][1] * c[0][1] + v[0][2] * c[0][2];
    expansion norm2;
    for (int d = 0; d < 3; ++d) {
        const expansion y = c[0][d] * b[0] + c[1][d] * b[1] + c[2][d] * b[2];
        norm2 = norm2 + y * y;
    }
    const double dd = det.estimate();
    return norm2.estimate() / (dd * dd);
}

// The squared circumradius of a triangle of R^3 (three points, not collinear), to within a few
// units in the last place: |a|^2 |b|^2 |a - b|^2 / (4 |a x b|^2), a and b its edge vectors.
inline double triangle_circumradius2(const double* const* p) {
    expansion a[3], b[3], c[3];
    for (int d = 0; d < 3; ++d) {
        a[d] = expansion::difference(p[1][d], p[0][d]);
        b[d] = expansion::difference(p[2][d], p[0][d]);
        c[d] = expansion::difference(p[2][d], p[1][d]);
    }
    auto norm2 = [](const expansion* x) { return x[0] * x[0] + x[1] * x[1] + x[2] * x[2]; };
    const expansion n[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                            a[0] * b[1] - a[1] * b[0]};
    const double num = (norm2(a) * norm2(b) * norm2(c)).estimate();
    return num / (4 * norm2(n).estimate());
}

}  // namespace topolayer::exact
