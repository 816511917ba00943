// Stable LSD radix sorts of (key, index) records, and the vertex order of a filtration.
//
// Records start in index order and every pass is a stable counting sort, so ties keep
// increasing index order: sorting by key gives the (value, index) order in O(n) per pass, and
// passes whose digit is the same for every key are skipped. Floats are mapped to unsigned keys
// whose order is the float order (flip all bits of negatives, the sign bit of the rest; -0.0 is
// first made +0.0 so that it ties with 0.0); descending order complements the keys. Values must
// not be NaN (checked by the callers). Every sort accepts n == 0.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "interrupt.hpp"
#include "types.hpp"

namespace topolayer {

template <class T>
using key_of_t = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;

// The key of a value from its bits: unsigned, in the order of the values, -0.0 tying with
// +0.0; `flip` is all ones for descending order. Branch-free, so that loops vectorise.
template <class K>
K key_from_bits(K bits, K flip) {
    constexpr K sign = K(1) << (8 * sizeof(K) - 1);
    bits &= K(0) - K(bits != sign);                           // -0.0 -> +0.0
    const K negative = K(0) - (bits >> (8 * sizeof(K) - 1));  // all ones for x < 0
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

// A record to sort: its key and its index (the tie-breaker: records start in index order).
template <class K>
struct keyed {
    K key;
    std::uint32_t idx;
};

// One stable counting pass: the first n records of `a` into `tmp` by their Bits-bit digit at
// `shift`, then swapped into `a`; `count` is that digit's histogram (made bucket starts here).
template <int Bits, class K>
void radix_pass(std::vector<keyed<K>>& a, std::vector<keyed<K>>& tmp, std::size_t n, int shift, std::uint32_t* count) {
    constexpr std::size_t mask = (std::size_t{1} << Bits) - 1;
    std::uint32_t sum = 0;
    for (std::size_t b = 0; b <= mask; ++b) {
        const std::uint32_t t = count[b];
        count[b] = sum;
        sum += t;
    }
    const keyed<K>* src = a.data();
    keyed<K>* dst = tmp.data();
    for (std::size_t i = 0; i < n; ++i) dst[count[static_cast<std::size_t>(src[i].key >> shift) & mask]++] = src[i];
    a.swap(tmp);
}

// Stable LSD radix sort of the first n records of `a` by key, Bits per digit (`tmp` is a
// buffer; the two may be swapped). One read of the keys makes every pass's histogram.
template <int Bits, class K>
void radix_sort(std::vector<keyed<K>>& a, std::vector<keyed<K>>& tmp, std::size_t n) {
    if (n == 0) return;
    constexpr int n_passes = (8 * static_cast<int>(sizeof(K)) + Bits - 1) / Bits;
    constexpr std::size_t buckets = std::size_t{1} << Bits;
    std::vector<std::uint32_t> count(buckets * n_passes, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const K k = a[i].key;
        for (int p = 0; p < n_passes; ++p)
            ++count[p * buckets + static_cast<std::size_t>((k >> (p * Bits)) & (buckets - 1))];
    }
    if (tmp.size() < n) tmp.resize(n);
    for (int p = 0; p < n_passes; ++p) {
        check_interrupt();  // between passes: `a` and `tmp` hold whole records
        std::uint32_t* c = count.data() + p * buckets;
        if (c[static_cast<std::size_t>((a[0].key >> (p * Bits)) & (buckets - 1))] == n) continue;  // constant digit
        radix_pass<Bits>(a, tmp, n, p * Bits, c);
    }
    check_interrupt();
}

// Sorts the first n records of `a` by key (stable, like radix_sort) in two 8-bit LSD passes
// over the 16 highest bits in which the keys differ; then insertion puts records that share
// those bits in order. Few share them unless the keys crowd below them; after 4n moves the
// full radix sort finishes instead (stable: equal keys are still in index order). For the
// few hundred saddles of a small image this is half the passes of radix_sort<8>.
template <class K>
void radix_sort_high16(std::vector<keyed<K>>& a, std::vector<keyed<K>>& tmp, std::size_t n) {
    if (n < 2) return;
    K any = 0, all = ~K(0);
    for (std::size_t i = 0; i < n; ++i) {
        any |= a[i].key;
        all &= a[i].key;
    }
    const K varying = any ^ all;  // bits that differ between some keys
    if (varying == 0) return;
    int top = 8 * static_cast<int>(sizeof(K)) - 1;
    while (((varying >> top) & 1) == 0) --top;
    const int low = std::max(0, top - 15);
    if (tmp.size() < n) tmp.resize(n);
    for (int shift = low; shift <= top; shift += 8) {
        std::array<std::uint32_t, 256> count{};
        for (std::size_t i = 0; i < n; ++i) ++count[static_cast<std::size_t>((a[i].key >> shift) & 255u)];
        radix_pass<8>(a, tmp, n, shift, count.data());
    }
    if (low == 0) return;  // every varying bit is sorted
    keyed<K>* r = a.data();
    std::size_t moves = 0;
    for (std::size_t i = 1; i < n; ++i) {
        if (!(r[i].key < r[i - 1].key)) continue;
        const keyed<K> x = r[i];
        std::size_t j = i;
        for (; j > 0 && x.key < r[j - 1].key; --j) r[j] = r[j - 1];
        r[j] = x;
        moves += i - j;
        if (moves > 4 * n) {
            radix_sort<8>(a, tmp, n);
            return;
        }
    }
}

// Indices 0..n-1 sorted by (value, index) ascending, or by (-value, index) when descending:
// radix_sort<11> of (key, index) records. A stable sort by key has one result, so this is the
// order of any stable sort of the keys. n < 2^31 (cell_t ids).
template <class T>
std::vector<cell_t> sorted_order(const T* values, index_t n, bool descending) {
    static_assert(std::is_floating_point_v<T>, "sorted_order needs float or double values");
    using K = key_of_t<T>;
    const auto un = static_cast<std::size_t>(n);
    std::vector<cell_t> order(un);
    if (un == 0) return order;
    std::vector<keyed<K>> recs(un), tmp;
    for (std::size_t i = 0; i < un; ++i) recs[i] = {sortable_key(values[i], descending), static_cast<std::uint32_t>(i)};
    radix_sort<11>(recs, tmp, un);
    for (std::size_t i = 0; i < un; ++i) order[i] = static_cast<cell_t>(recs[i].idx);
    return order;
}

}  // namespace topolayer
