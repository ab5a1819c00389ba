// Runs one kernel of src/main/cuda on the host (through cuda_shim.h) for KernelShimTest.
//
// stdin: "<kernel> <grid> <block>" then arguments in the kernel's order, one per token group:
//   i <int>                       an int (or unsigned) scalar
//   d <double>                    a float or double scalar
//   g <46 ints>                   an SgGeom: ndim numel shape[8] offset[4] stride[4][8]
//   f <n> <values>                a float buffer       D <n> <values>  a double buffer
//   l <n> <values>                an int64 buffer      u <n> <values>  a byte buffer
//   e                             an int error flag (starts at 0)    z  a null pointer
// stdout: every buffer after the run, in argument order: "buf <values>" (%.9g / %.17g / integers).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "cuda_shim.h"

struct SgGeom {
    int ndim;
    int numel;
    int shape[8];
    int offset[4];
    int stride[4][8];
};

extern "C" {
void binary_f32(int, SgGeom, const float*, const float*, float*);
void binary_f64(int, SgGeom, const double*, const double*, double*);
void unary_f32(int, SgGeom, const float*, float*);
void unary_f64(int, SgGeom, const double*, double*);
void where_f32(SgGeom, const float*, const float*, const float*, float*);
void where_u8_f32(SgGeom, const unsigned char*, const float*, const float*, float*);
void fill_f32(SgGeom, float, float*);
void copy_f32_f64(SgGeom, const float*, double*);
void copy_f64_f32(SgGeom, const double*, float*);
void copy_f32_i64(SgGeom, const float*, long long*);
void copy_f32_u8(SgGeom, const float*, unsigned char*);
void axpy_f32(SgGeom, float, const float*, float*);
void gather_f32(SgGeom, int, int, const float*, const long long*, float*, int*);
void scatter_add_f32(SgGeom, int, int, float*, const long long*, const float*, int*);
void scatter_add_f64(SgGeom, int, int, double*, const long long*, const double*, int*);
void reduce_f32(int, SgGeom, unsigned int, int, int, const float*, int, float*);
void reduce_f64(int, SgGeom, unsigned int, int, int, const double*, int, double*);
void argreduce_f32(int, SgGeom, int, const float*, int, float*, int, long long*);
void softmax_rows_f32(int, int, int, const float*, int, int, float*, int, int);
void softmax_backward_rows_f32(int, int, int, const float*, int, const float*, int, float*, int);
void softmax_rows_f64(int, int, int, const double*, int, int, double*, int, int);
void softmax_backward_rows_f64(int, int, int, const double*, int, const double*, int, double*, int);
}

struct Arg {
    char kind;
    long long i = 0;
    double d = 0;
    SgGeom g{};
    std::vector<float> f;
    std::vector<double> dd;
    std::vector<long long> l;
    std::vector<unsigned char> u;
    int err = 0;
};

static std::vector<Arg> args;

static int I(size_t k) { return (int) args.at(k).i; }
static double Dv(size_t k) { return args.at(k).d; }
static SgGeom& G(size_t k) { return args.at(k).g; }
static float* F(size_t k) { return args.at(k).f.data(); }
static double* D(size_t k) { return args.at(k).dd.data(); }
static long long* L(size_t k) { return args.at(k).l.data(); }
static unsigned char* U(size_t k) { return args.at(k).u.data(); }
static int* E(size_t k) { return args.at(k).kind == 'z' ? nullptr : &args.at(k).err; }

/** Runs body once per CUDA thread: block by block, the block's threads concurrently. */
template <typename Body>
static void launch(unsigned int grid, unsigned int block, Body body) {
    gridDim.x = grid;
    blockDim.x = block;
    for (unsigned int b = 0; b < grid; b++) {
        std::vector<std::thread> threads;
        for (unsigned int t = 0; t < block; t++) {
            threads.emplace_back([=] {
                blockIdx.x = b;
                threadIdx.x = t;
                body();
            });
        }
        for (auto& th : threads) {
            th.join();
        }
    }
}

int main() {
    char name[128];
    unsigned int grid, block;
    if (scanf("%127s %u %u", name, &grid, &block) != 3) {
        fprintf(stderr, "expected: <kernel> <grid> <block>\n");
        return 2;
    }
    char kind[4];
    while (scanf("%3s", kind) == 1) {
        Arg a;
        a.kind = kind[0];
        int n = 0;
        switch (a.kind) {
            case 'i': scanf("%lld", &a.i); break;
            case 'd': scanf("%lf", &a.d); break;
            case 'g': {
                int* p = (int*) &a.g;
                for (int j = 0; j < 46; j++) scanf("%d", &p[j]);
                break;
            }
            case 'f': scanf("%d", &n); a.f.resize(n); for (int j = 0; j < n; j++) scanf("%f", &a.f[j]); break;
            case 'D': scanf("%d", &n); a.dd.resize(n); for (int j = 0; j < n; j++) scanf("%lf", &a.dd[j]); break;
            case 'l': scanf("%d", &n); a.l.resize(n); for (int j = 0; j < n; j++) scanf("%lld", &a.l[j]); break;
            case 'u': {
                scanf("%d", &n);
                a.u.resize(n);
                for (int j = 0; j < n; j++) { int v; scanf("%d", &v); a.u[j] = (unsigned char) v; }
                break;
            }
            case 'e': case 'z': break;
            default: fprintf(stderr, "unknown argument kind %s\n", kind); return 2;
        }
        args.push_back(std::move(a));
    }
    std::string k = name;
    auto run = [&](auto body) { launch(grid, block, body); };
    if (k == "binary_f32") run([] { binary_f32(I(0), G(1), F(2), F(3), F(4)); });
    else if (k == "binary_f64") run([] { binary_f64(I(0), G(1), D(2), D(3), D(4)); });
    else if (k == "unary_f32") run([] { unary_f32(I(0), G(1), F(2), F(3)); });
    else if (k == "unary_f64") run([] { unary_f64(I(0), G(1), D(2), D(3)); });
    else if (k == "where_f32") run([] { where_f32(G(0), F(1), F(2), F(3), F(4)); });
    else if (k == "where_u8_f32") run([] { where_u8_f32(G(0), U(1), F(2), F(3), F(4)); });
    else if (k == "fill_f32") run([] { fill_f32(G(0), (float) Dv(1), F(2)); });
    else if (k == "copy_f32_f64") run([] { copy_f32_f64(G(0), F(1), D(2)); });
    else if (k == "copy_f64_f32") run([] { copy_f64_f32(G(0), D(1), F(2)); });
    else if (k == "copy_f32_i64") run([] { copy_f32_i64(G(0), F(1), L(2)); });
    else if (k == "copy_f32_u8") run([] { copy_f32_u8(G(0), F(1), U(2)); });
    else if (k == "axpy_f32") run([] { axpy_f32(G(0), (float) Dv(1), F(2), F(3)); });
    else if (k == "gather_f32") run([] { gather_f32(G(0), I(1), I(2), F(3), L(4), F(5), E(6)); });
    else if (k == "scatter_add_f32") run([] { scatter_add_f32(G(0), I(1), I(2), F(3), L(4), F(5), E(6)); });
    else if (k == "scatter_add_f64") run([] { scatter_add_f64(G(0), I(1), I(2), D(3), L(4), D(5), E(6)); });
    else if (k == "reduce_f32") run([] { reduce_f32(I(0), G(1), (unsigned) I(2), I(3), I(4), F(5), I(6), F(7)); });
    else if (k == "reduce_f64") run([] { reduce_f64(I(0), G(1), (unsigned) I(2), I(3), I(4), D(5), I(6), D(7)); });
    else if (k == "argreduce_f32") run([] { argreduce_f32(I(0), G(1), I(2), F(3), I(4), F(5), I(6), L(7)); });
    else if (k == "softmax_rows_f32") run([] { softmax_rows_f32(I(0), I(1), I(2), F(3), I(4), I(5), F(6), I(7), I(8)); });
    else if (k == "softmax_backward_rows_f32")
        run([] { softmax_backward_rows_f32(I(0), I(1), I(2), F(3), I(4), F(5), I(6), F(7), I(8)); });
    else if (k == "softmax_rows_f64") run([] { softmax_rows_f64(I(0), I(1), I(2), D(3), I(4), I(5), D(6), I(7), I(8)); });
    else if (k == "softmax_backward_rows_f64")
        run([] { softmax_backward_rows_f64(I(0), I(1), I(2), D(3), I(4), D(5), I(6), D(7), I(8)); });
    else {
        fprintf(stderr, "unknown kernel %s\n", name);
        return 2;
    }
    for (auto& a : args) {
        switch (a.kind) {
            case 'f': printf("buf"); for (float v : a.f) printf(" %.9g", v); printf("\n"); break;
            case 'D': printf("buf"); for (double v : a.dd) printf(" %.17g", v); printf("\n"); break;
            case 'l': printf("buf"); for (long long v : a.l) printf(" %lld", v); printf("\n"); break;
            case 'u': printf("buf"); for (unsigned char v : a.u) printf(" %d", v); printf("\n"); break;
            case 'e': printf("err %d\n", a.err); break;
            default: break;
        }
    }
    return 0;
}
