// Shared scalar types and the result of a persistence computation.
//
// Every algorithm in topolayer returns persistence *pairs as indices*: for each bar, the cell
// whose entry creates the homology class and the cell whose entry kills it (or none, for an
// essential class). Values never leave the caller: Python gathers them at these indices, which
// is what makes the diagram differentiable with no hand-written backward.
// Results are a struct of vectors (no per-bar allocation); bars are grouped by dimension.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace topolayer {

using index_t = std::int64_t;
// Ids inside one dimension of one complex (vertex ids, local simplex ids, positions): 32 bits
// halve the memory traffic of the reductions' random accesses. Builders check the limit.
using cell_t = std::int32_t;
inline constexpr index_t max_cells = 2147483647;

// Marks the death of an essential class (one that never dies).
inline constexpr index_t no_death = -1;

struct pairs_result {
    std::vector<index_t> dim;    // homology dimension of each bar
    std::vector<index_t> birth;  // creating cell (a simplex id, or a vertex for lower-star)
    std::vector<index_t> death;  // killing cell, or no_death

    void push(index_t d, index_t b, index_t k) {
        dim.push_back(d);
        birth.push_back(b);
        death.push_back(k);
    }
    std::size_t size() const { return dim.size(); }
    void reserve(std::size_t n) {
        dim.reserve(n);
        birth.reserve(n);
        death.reserve(n);
    }
};

// Whether x[0..n) are all finite: the exponent bits, not all ones, tested on the integer
// representation with no branch per entry (the compiler vectorises it; a loop over
// std::isfinite with an early exit is not).
template <class T>
bool all_finite(const T* x, index_t n) {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        using bits_t = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
        constexpr bits_t exponent = static_cast<bits_t>(sizeof(T) == 4 ? 0x7f800000ull : 0x7ff0000000000000ull);
        bits_t bad = 0;
        for (index_t i = 0; i < n; ++i) {
            bits_t b;
            std::memcpy(&b, x + i, sizeof b);
            bad |= static_cast<bits_t>((b & exponent) == exponent);
        }
        return bad == 0;
    } else {
        for (index_t i = 0; i < n; ++i)
            if (!std::isfinite(x[i])) return false;
        return true;
    }
}

// Throws std::invalid_argument naming `what` and the first entry of x that is NaN or infinite;
// x may be a part of `what` that starts at entry `offset`.
template <class T>
void check_finite(const T* x, index_t n, const char* what, index_t offset = 0) {
    if (all_finite(x, n)) return;
    for (index_t i = 0; i < n; ++i)
        if (!std::isfinite(x[i]))
            throw std::invalid_argument(std::string(what) + " must be finite, but entry " + std::to_string(offset + i) +
                                        " is " + std::to_string(static_cast<double>(x[i])));
}

// Pairs of a batch, split by homology dimension: per dimension a row-major (n_k, 3) array of
// (batch item, birth, death). Items appear in batch order, so the split is independent of how
// many threads computed it. With a row stride (the number of values per item), also per
// dimension an (n_k, 2) array of (birth, death) as positions in the values flattened to
// items * stride + 1 entries: item * stride + cell, and items * stride (one slot past the
// values, where the caller puts the essential death value) for no_death. One gather then
// gives every bar's values.
struct batch_pairs {
    std::vector<std::vector<index_t>> rows;  // rows[k] holds 3 * n_k entries
    std::vector<std::vector<index_t>> flat;  // flat[k] holds 2 * n_k entries (with a stride)
    index_t items = 0, stride = 0;

    explicit batch_pairs(int max_dim, index_t n_items = 0, index_t row_stride = 0)
        : rows(static_cast<std::size_t>(max_dim + 1)),
          flat(row_stride > 0 ? static_cast<std::size_t>(max_dim + 1) : 0),
          items(n_items),
          stride(row_stride) {}

    // One bar of `item` (stride = values per item): its (item, birth, death) row and its flat
    // (birth, death) positions, the essential death at items * stride.
    static void write_bar(index_t* row, index_t* flat_row, index_t item, index_t birth, index_t death,
                          index_t stride, index_t items) {
        row[0] = item;
        row[1] = birth;
        row[2] = death;
        if (flat_row == nullptr) return;
        flat_row[0] = item * stride + birth;
        flat_row[1] = death == no_death ? items * stride : item * stride + death;
    }

    void append(index_t item, const pairs_result& r) {
        const std::size_t n_dims = rows.size();
        std::vector<std::size_t> at(n_dims);  // where this item's rows start
        std::vector<std::size_t> count(n_dims, 0);
        for (index_t d : r.dim)
            if (static_cast<std::size_t>(d) < n_dims) ++count[static_cast<std::size_t>(d)];
        for (std::size_t k = 0; k < n_dims; ++k) {
            at[k] = rows[k].size() / 3;
            rows[k].resize(3 * (at[k] + count[k]));
            if (stride > 0) flat[k].resize(2 * (at[k] + count[k]));
        }
        for (std::size_t i = 0; i < r.size(); ++i) {
            const auto k = static_cast<std::size_t>(r.dim[i]);
            if (k >= n_dims) continue;
            const std::size_t j = at[k]++;
            write_bar(rows[k].data() + 3 * j, stride > 0 ? flat[k].data() + 2 * j : nullptr, item,
                      r.birth[i], r.death[i], stride, items);
        }
    }
};

}  // namespace topolayer
