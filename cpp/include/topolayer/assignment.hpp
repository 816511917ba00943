// The linear assignment problem on a dense rectangular cost matrix: every row gets its own
// column at the least total cost. Successive shortest augmenting paths with dual potentials
// (Jonker & Volgenant 1987, in the rectangular form of Crouse 2016): one Dijkstra-like scan of
// the columns per step of a path, O(rows^2 cols) in all, no cost copied. +inf marks a forbidden
// pair.
#pragma once

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

#include "types.hpp"

namespace topolayer {

// col_of[i] for every row i of the row-major n_rows x n_cols matrix `cost` (n_rows <= n_cols).
// Among equally short paths the scan prefers a free column, then the later one, as scipy's
// linear_sum_assignment does, so both return the same assignment on ties.
inline std::vector<index_t> rectangular_assignment(const double* cost, index_t n_rows, index_t n_cols) {
    if (n_rows < 0 || n_cols < n_rows) throw std::invalid_argument("rectangular_assignment: needs rows <= cols");
    constexpr double inf = std::numeric_limits<double>::infinity();
    const auto R = static_cast<std::size_t>(n_rows), C = static_cast<std::size_t>(n_cols);
    std::vector<double> u(R, 0.0), v(C, 0.0), dist(C);
    std::vector<index_t> col_of(R, -1), row_of(C, -1), path(C, -1), remaining(C);
    std::vector<char> row_seen(R), col_seen(C);
    for (index_t start = 0; start < n_rows; ++start) {
        std::fill(dist.begin(), dist.end(), inf);
        std::fill(row_seen.begin(), row_seen.end(), 0);
        std::fill(col_seen.begin(), col_seen.end(), 0);
        for (index_t k = 0; k < n_cols; ++k) remaining[k] = n_cols - 1 - k;
        index_t n_left = n_cols, i = start, sink = -1;
        double reached = 0;  // the length of the shortest path found so far
        while (sink < 0) {
            row_seen[i] = 1;
            const double* ci = cost + static_cast<std::size_t>(i) * C;
            const double ui = u[i];
            index_t best = -1;
            double lowest = inf;
            for (index_t k = 0; k < n_left; ++k) {
                const index_t j = remaining[k];
                const double d = reached + ci[j] - ui - v[j];
                if (d < dist[j]) {
                    path[j] = i;
                    dist[j] = d;
                }
                if (dist[j] < lowest || (dist[j] == lowest && row_of[j] < 0)) {
                    lowest = dist[j];
                    best = k;
                }
            }
            if (best < 0 || !(lowest < inf)) throw std::invalid_argument("rectangular_assignment: no feasible assignment");
            reached = lowest;
            const index_t j = remaining[best];
            col_seen[j] = 1;
            remaining[best] = remaining[--n_left];
            if (row_of[j] < 0)
                sink = j;
            else
                i = row_of[j];
        }
        // Potentials stay feasible (reduced costs >= 0) and tight on the assigned pairs.
        u[start] += reached;
        for (index_t r = 0; r < n_rows; ++r)
            if (row_seen[r] && r != start) u[r] += reached - dist[col_of[r]];
        for (index_t j = 0; j < n_cols; ++j)
            if (col_seen[j]) v[j] -= reached - dist[j];
        for (index_t j = sink;;) {  // flip the path: each row on it takes the column after it
            const index_t r = path[j];
            row_of[j] = r;
            std::swap(col_of[r], j);
            if (r == start) break;
        }
    }
    return col_of;
}

}  // namespace topolayer
