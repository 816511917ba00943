// The vertex order of a filtration: indices sorted by (value, index), in O(n) by LSD radix sort.
//
// Floats are mapped to unsigned integers whose order is the float order (flip all bits of
// negatives, the sign bit of the rest; -0.0 is first made +0.0 so that it ties with 0.0), then
// sorted 11 bits at a time by stable counting passes, so ties keep increasing index order.
// Descending order complements the keys. Values must not be NaN (checked by the callers).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "types.hpp"

namespace topolayer {

template <class T>
using key_of_t = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;

// The key of a value from its bits: unsigned, in the order of the values, -0.0 tying with
// +0.0; `flip` is all ones for descending order. Branch-free, so that loops vectorise.
template <class K>
K key_from_bits(K bits, K flip) {
    constexpr K sign = K(1) << (8 * sizeof(K) - 1);
    bits &= K(0) - K(bits != sign);                                // -0.0 -> +0.0
    const K negative = K(0) - (bits >> (8 * sizeof(K) - 1));       // all ones for x < 0
    return (bits ^ (negative | sign)) ^ flip;
}

// Unsigned key whose order is the order of x (reversed when descending); -0.0 ties with +0.0.
template <class T>
key_of_t<T> sortable_key(T x, bool descending) {
    using K = key_of_t<T>;
    K bits;
    std::memcpy(&bits, &x, sizeof(K));
    return key_from_bits(bits, K(0) - K(descending));
}

// Indices 0..n-1 sorted by (value, index) ascending, or by (-value, index) when descending.
template <class T>
std::vector<cell_t> sorted_order(const T* values, index_t n, bool descending) {
    static_assert(std::is_floating_point_v<T>, "sorted_order needs float or double values");
    using K = key_of_t<T>;
    constexpr int bits = 11;
    constexpr std::size_t buckets = std::size_t{1} << bits;
    constexpr int passes = static_cast<int>((8 * sizeof(K) + bits - 1) / bits);
    const auto un = static_cast<std::size_t>(n);
    std::vector<K> keys(un), keys2(un);
    std::vector<cell_t> idx(un), idx2(un);
    for (std::size_t i = 0; i < un; ++i) {
        keys[i] = sortable_key(values[i], descending);
        idx[i] = static_cast<cell_t>(i);
    }
    std::vector<std::size_t> count(buckets);
    for (int p = 0; p < passes; ++p) {
        const int shift = p * bits;
        std::fill(count.begin(), count.end(), 0);
        for (std::size_t i = 0; i < un; ++i) ++count[(keys[i] >> shift) & (buckets - 1)];
        if (count[(keys[0] >> shift) & (buckets - 1)] == un) continue;  // this digit is constant
        std::size_t acc = 0;
        for (auto& c : count) {
            const std::size_t t = c;
            c = acc;
            acc += t;
        }
        for (std::size_t i = 0; i < un; ++i) {
            const std::size_t slot = count[(keys[i] >> shift) & (buckets - 1)]++;
            keys2[slot] = keys[i];
            idx2[slot] = idx[i];
        }
        keys.swap(keys2);
        idx.swap(idx2);
    }
    return idx;
}

}  // namespace topolayer
