// Union-find with the elder rule, for H0 (and for dual H_{d-1} of d-manifolds and grids).
//
// Each root is the oldest element of its set (the one earliest in the filtration), so when two
// components meet the root that is younger is the one that dies (the elder rule).
// Path halving keeps finds near-constant in practice; no ranks are needed because the root is
// fixed by age. Elements are identified by their filtration position or by any id whose order
// is the filtration order.
#pragma once

#include <vector>

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

}  // namespace topolayer
