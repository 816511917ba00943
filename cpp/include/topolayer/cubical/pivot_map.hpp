// The map from a 2-cell's id to the stored column whose pivot it is, for the 3D H1
// reductions: open addressing with linear probing at load <= 1/2, so that a lookup is a few
// probes in one cache line. Entries are never removed; `none` is both an empty slot and a
// missing key. Ids and columns are 32 bits (the grids are checked to fit).
#pragma once

#include <cstddef>
#include <vector>

#include "grid.hpp"

namespace topolayer {

namespace detail {

// Open-addressing map from a 2-cell's id to a stored column (linear probing, load <= 1/2).
class pivot_map {
  public:
    static constexpr u32 none = 0xFFFFFFFFu;
    u32 find(u32 id) const {
        if (slots_.empty()) return none;
        for (std::size_t i = hash(id) & mask_;; i = (i + 1) & mask_) {
            const slot& s = slots_[i];
            if (s.value == none) return none;
            if (s.id == id) return s.value;
        }
    }
    void insert(u32 id, u32 value) {
        if (2 * (size_ + 1) > slots_.size()) grow();
        for (std::size_t i = hash(id) & mask_;; i = (i + 1) & mask_) {
            slot& s = slots_[i];
            if (s.value == none) {
                s = {id, value};
                ++size_;
                return;
            }
        }
    }

  private:
    struct slot {
        u32 id;
        u32 value;
    };
    static std::size_t hash(u32 id) {
        const u64 h = static_cast<u64>(id) * 0x9E3779B97F4A7C15ull;
        return static_cast<std::size_t>(h >> 20);
    }
    void grow() {
        std::vector<slot> old;
        old.swap(slots_);
        slots_.assign(old.empty() ? 1024 : 2 * old.size(), slot{0, none});
        mask_ = slots_.size() - 1;
        size_ = 0;
        for (const slot& t : old)
            if (t.value != none) insert(t.id, t.value);
    }
    std::vector<slot> slots_;
    std::size_t mask_ = 0, size_ = 0;
};

}  // namespace detail

}  // namespace topolayer
