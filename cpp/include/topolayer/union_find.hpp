// Union-find with the elder rule, for H0 (and for dual H_{d-1} of d-manifolds and grids), and
// kruskal_h0: the H0 pairs of a graph whose edges come in filtration order.
//
// Each root is the oldest element of its set (the one earliest in the filtration), so when two
// components meet the root that is younger is the one that dies (the elder rule).
// Path halving keeps finds near-constant in practice; no ranks are needed because the root is
// fixed by age. Elements are identified by their filtration position or by any id whose order
// is the filtration order. kruskal_h0 makes two finds per edge; the caller sorts the edges.
#pragma once

#include <utility>
#include <vector>

#include "interrupt.hpp"
#include "types.hpp"

namespace topolayer {

class union_find {
  public:
    explicit union_find(index_t n = 0) { reset(n); }

    void reset(index_t n) {
        parent_.resize(static_cast<std::size_t>(n));
        for (index_t i = 0; i < n; ++i) parent_[static_cast<std::size_t>(i)] = i;
    }

    index_t find(index_t x) {
        while (parent_[static_cast<std::size_t>(x)] != x) {
            auto& p = parent_[static_cast<std::size_t>(x)];
            p = parent_[static_cast<std::size_t>(p)];
            x = p;
        }
        return x;
    }

    // Attach root `younger` below root `elder`.
    void link(index_t elder, index_t younger) { parent_[static_cast<std::size_t>(younger)] = elder; }

    index_t size() const { return static_cast<index_t>(parent_.size()); }

  private:
    std::vector<index_t> parent_;
};

// H0 by Kruskal's algorithm with the elder rule, over vertices 0..n_vertices-1.
// `edges` is a range of edges in filtration order (of any type: each caller keeps its own);
// endpoints(e) returns an edge's two vertices as a std::pair; younger(a, b) says whether root a
// entered the filtration after root b (vertex ages are the caller's: an index, a rank, a
// position). An edge that joins two components kills the younger root's class:
// emit(younger root, e, u, v) is called with the edge and its endpoints (u, v), zero-length bars
// included, so that each caller applies its own rule for those; an edge that closes a cycle is
// skipped. Returns the forest: its roots (find(v) == v) are the classes that never die, which
// the caller lists in its own vertex order.
template <class Edges, class Endpoints, class Younger, class Emit>
union_find kruskal_h0(index_t n_vertices, const Edges& edges, Endpoints&& endpoints, Younger&& younger, Emit&& emit) {
    union_find uf(n_vertices);
    interrupt_countdown poll;
    for (const auto& e : edges) {
        poll.tick();
        const std::pair<index_t, index_t> uv = endpoints(e);
        index_t ru = uf.find(uv.first), rv = uf.find(uv.second);
        if (ru == rv) continue;
        if (younger(ru, rv)) std::swap(ru, rv);
        uf.link(ru, rv);
        emit(rv, e, uv.first, uv.second);
    }
    return uf;
}

}  // namespace topolayer
