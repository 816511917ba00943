// 3D volumes: H0 and H2 (the top dimension) by union-find with the elder rule on the padded
// grid. H0 enters the cells in filtration order with the primal neighbourhood; H2 enters them
// in reverse order with the dual neighbourhood, all padding being the outside, eldest of all
// (Alexander duality). For the Freudenthal H1, H0 also marks every edge that merges two
// components (the clearing of the cohomology). Cost: near-linear after the one radix sort of
// the cells; the neighbourhood a few cells ahead is prefetched, as cells come at random places.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>
#include <vector>

#include "../interrupt.hpp"
#include "grid.hpp"

namespace topolayer {

namespace detail {

inline constexpr u32 unset = 0xFFFFFFFFu;  // union-find parent of a cell not yet entered

// H0 by union-find over padded cells in filtration order (`order`), with the primal
// neighbourhood `nb` (interleaved halves). Cells are ordered by (key, index), so the root of a
// component, its eldest cell, is found by comparing keys. With `neg`, the entered neighbours of
// each pixel are taken in filtration order (the cell-level order of its edges) and every edge
// that merges two components is marked. emit(birth cell, death cell or no_rank).
template <class K, class Emit>
void union_find_h0(u32* parent, const K* key, const u32* order, index_t n, index_t n_padded, index_t p2,
                   const std::vector<index_t>& nb, edge_bits* neg, Emit&& emit) {
    std::fill(parent, parent + n_padded, unset);
    auto older = [key](u32 x, u32 y) { return key[x] < key[y] || (key[x] == key[y] && x < y); };
    const std::size_t m = nb.size();
    std::array<std::pair<u32, u32>, 32> low{};  // (neighbour cell, slot)
    const auto rows = neighbour_rows(nb, p2);
    interrupt_countdown poll;
    for (index_t r = 0; r < n; ++r) {
        poll.tick();
        if (r + prefetch_distance < n) prefetch_rows(parent, order[r + prefetch_distance], rows);
        const u32 q = order[r];
        parent[q] = q;
        u32 root = q;
        auto join = [&](u32 nq) -> bool {
            if (parent[nq] == root) return false;
            const u32 x = find_root(parent, nq);
            if (x == root) return false;
            if (root == q) {
                parent[q] = x;
                root = x;
                return true;
            }
            u32 young = x, old = root;
            if (older(x, root)) std::swap(young, old);
            parent[young] = old;
            emit(young, q);
            root = old;
            return true;
        };
        if (!neg) {
            for (std::size_t j = 0; j < m; ++j) {
                const u32 nq = static_cast<u32>(q + nb[j]);
                if (parent[nq] != unset) join(nq);
            }
            continue;
        }
        std::size_t k = 0;
        for (std::size_t j = 0; j < m; ++j) {
            const u32 nq = static_cast<u32>(q + nb[j]);
            if (parent[nq] != unset) low[k++] = {nq, static_cast<u32>(j)};
        }
        std::sort(low.begin(), low.begin() + static_cast<std::ptrdiff_t>(k),
                  [&](const auto& x, const auto& y) { return older(x.first, y.first); });
        for (std::size_t i = 0; i < k; ++i) {
            const u32 nq = low[i].first;
            const std::size_t j = low[i].second;
            if (join(nq)) neg->set(j % 2 == 0 ? q : nq, static_cast<index_t>(j / 2));
        }
    }
    if (n > 0) emit(order[0], no_rank);
}

// Top dimension by union-find in reverse filtration order with the dual neighbourhood. All
// padding cells belong to the outside, whose root (padded cell 0) is the eldest. A complement
// component born at its last pixel dies into an elder one at pixel q: the primal class is born
// at q and dies at that last pixel. emit(birth cell, death cell).
template <class K, class Emit>
void union_find_top(u32* parent, const K* key, const u32* order, index_t n, const padded_grid& pg,
                    const std::vector<index_t>& nb, Emit&& emit) {
    std::fill(parent, parent + pg.size(), 0u);
    for (index_t a = 0; a < pg.n0; ++a)
        for (index_t b = 0; b < pg.n1; ++b) {
            u32* row = parent + pg.first() + (a * pg.p1 + b) * pg.p2;
            std::fill(row, row + pg.n2, unset);
        }
    // Reverse order: the elder of two roots is the later one; the outside is eldest of all.
    auto older = [key](u32 x, u32 y) { return x == 0 || (y != 0 && (key[x] > key[y] || (key[x] == key[y] && x > y))); };
    const std::size_t m = nb.size();
    const auto rows = neighbour_rows(nb, pg.p2);
    interrupt_countdown poll;
    for (index_t rr = n - 1; rr >= 0; --rr) {
        poll.tick();
        if (rr >= prefetch_distance) prefetch_rows(parent, order[rr - prefetch_distance], rows);
        const u32 q = order[rr];
        parent[q] = q;
        u32 root = q;
        for (std::size_t j = 0; j < m; ++j) {
            const u32 nq = static_cast<u32>(q + nb[j]);
            const u32 pn = parent[nq];
            if (pn == unset || pn == root) continue;
            const u32 x = find_root(parent, nq);
            if (x == root) continue;
            if (root == q) {
                parent[q] = x;
                root = x;
                continue;
            }
            u32 young = x, old = root;
            if (older(x, root)) std::swap(young, old);
            parent[young] = old;
            emit(q, young);
            root = old;
        }
    }
}

}  // namespace detail

}  // namespace topolayer
