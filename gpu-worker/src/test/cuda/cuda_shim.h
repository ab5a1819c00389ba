// A thin CUDA shim so the kernels in src/main/cuda compile as C++ (g++ -x c++ -include cuda_shim.h) and run
// on the host: a launch runs one block at a time with one std::thread per CUDA thread, so __syncthreads is a
// real barrier and __shared__ (static) memory is shared by the block. For tests only: slow, but the indexing
// and arithmetic are the kernels' own.
#pragma once

#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static

/** CUDA's dim3 (only x is used by the kernels). */
struct dim3 {
    unsigned int x = 1, y = 1, z = 1;
};

inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;

/** The running block's barrier: blockDim.x threads meet before any goes on. */
struct SgShimBarrier {
    std::mutex m;
    std::condition_variable cv;
    unsigned int waiting = 0;
    unsigned long long generation = 0;

    void arrive() {
        std::unique_lock<std::mutex> lock(m);
        unsigned long long gen = generation;
        if (++waiting == blockDim.x) {
            waiting = 0;
            generation++;
            cv.notify_all();
        } else {
            cv.wait(lock, [&] { return generation != gen; });
        }
    }
};

inline SgShimBarrier sgShimBarrier;
inline std::mutex sgShimAtomic;

inline void __syncthreads() {
    sgShimBarrier.arrive();
}

template <typename T>
inline T atomicAdd(T* address, T value) {
    std::lock_guard<std::mutex> lock(sgShimAtomic);
    T old = *address;
    *address = old + value;
    return old;
}

/** atomicCAS on 64-bit words (the double atomicAdd fallback of CC < 6.0 devices uses it). */
inline unsigned long long atomicCAS(unsigned long long* address, unsigned long long compare, unsigned long long value) {
    std::lock_guard<std::mutex> lock(sgShimAtomic);
    unsigned long long old = *address;
    if (old == compare) {
        *address = value;
    }
    return old;
}

inline long long __double_as_longlong(double x) {
    long long bits;
    std::memcpy(&bits, &x, sizeof bits);
    return bits;
}

inline double __longlong_as_double(long long bits) {
    double x;
    std::memcpy(&x, &bits, sizeof x);
    return x;
}

// The shim plays a CC 5.0 device, so the kernels' fallbacks for old devices (the CAS loop of sg_atomic_add on
// double) run in KernelShimTest; KernelPtxTest's nvcc -arch=sm_75 compiles the native paths.
#define __CUDA_ARCH__ 500

using std::exp;
using std::log;
using std::pow;
using std::sqrt;
using std::sin;
using std::cos;
using std::tanh;
