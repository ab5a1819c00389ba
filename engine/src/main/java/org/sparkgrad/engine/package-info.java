/**
 * Tensors and define-by-run autograd, in PyTorch's terms. The package is read top down in four tiers, with
 * the autograd graph beside them:
 *
 * <ol>
 *   <li><b>Tensor facade.</b> {@link org.sparkgrad.engine.Tensor} is the public API (creation, every op as a
 *       method, {@code backward}); {@link org.sparkgrad.engine.DType}, {@link org.sparkgrad.engine.Device},
 *       {@link org.sparkgrad.engine.Devices}, {@link org.sparkgrad.engine.Generator} and
 *       {@link org.sparkgrad.engine.GradMode} are its vocabulary. A facade method only forwards to an op class.
 *       {@code TensorFormatter} prints tensors as PyTorch does, {@code Shapes} does the shape arithmetic.</li>
 *   <li><b>Differentiable ops with their derivatives</b>, package-private: {@code ArithmeticOps},
 *       {@code MathOps}, {@code LinalgOps}, {@code ReductionOps}, {@code IndexingOps}, {@code ViewOps},
 *       {@code SoftmaxOps}, and {@code InPlace} (the rules for in-place ops and views). Each op computes its
 *       forward through Dispatch, records an {@code OpNode} named as PyTorch names the grad_fn
 *       (ExpBackward0), saves what its backward needs, and gives its vector-Jacobian product right
 *       there as a lambda of differentiable tensor ops (so create_graph yields higher derivatives). One place
 *       per derivative, like PyTorch's derivatives.yaml.</li>
 *   <li><b>Dispatch</b> ({@code Dispatch}, package-private): computation without autograd. It applies type
 *       promotion and broadcasting, checks that operands share a device, allocates outputs on that device and
 *       calls the backend.</li>
 *   <li><b>Backend primitives</b> ({@link org.sparkgrad.engine.backend}): the small set of kernels a device
 *       implements over strided views; the CPU one is built in, others are found through ServiceLoader
 *       (the CUDA backend lives in the {@code gpu-worker} module).</li>
 * </ol>
 *
 * <p><b>The autograd graph.</b> A tensor that takes part in autograd has an {@code AutogradMeta}
 * (requires_grad, grad, grad_fn and output number, hooks, view history; none for tensors that never need
 * one). A {@link org.sparkgrad.engine.Node} is a grad_fn; its {@link org.sparkgrad.engine.Edge}s lead to the
 * nodes of its inputs, ending in {@code AccumulateGrad} sinks at the leaves. {@code SavedTensor} keeps what a
 * node saved with its version (PyTorch's in-place check); {@code CopySlices} rewrites a base's history when
 * a view of it changes in place. {@code BackwardEngine} runs the backward pass iteratively;
 * {@link org.sparkgrad.engine.Autograd} ({@code backward}, {@code grad}) is its public entry.
 * {@link org.sparkgrad.engine.Function} and {@link org.sparkgrad.engine.FunctionCtx} are user-defined
 * differentiable ops ({@code torch.autograd.Function}); {@link org.sparkgrad.engine.Gradcheck} checks
 * gradients by finite differences.
 *
 * <p><b>How to add an op</b> ({@code x.erf()} as the example):
 * <ol>
 *   <li>Forward: a static method in the op class of its kind ({@code MathOps.erf}) that computes through
 *       {@code Dispatch}, and the facade method {@code Tensor.erf()} that calls it, with Javadoc.</li>
 *   <li>Derivative next to it: {@code OpNode n = OpNode.record(name, x)} with PyTorch's grad_fn name,
 *       ErfBackward0 (n is null when nothing needs a gradient: return the forward result), save what the
 *       backward needs ({@code n.save(x)} or {@code n.saveOutput(out)}), and
 *       {@code return n.finish(out, g -> ...)} with the vector-Jacobian product written in tensor ops.</li>
 *   <li>Backend primitive, only when no composition of existing ops does (or one was measured too slow): an
 *       enum constant ({@code UnaryOp.ERF}) or a {@link org.sparkgrad.engine.backend.Backend} method,
 *       implemented in {@code CpuBackend}, in the test "sim" backend ({@code SimBackend}) and in
 *       gpu-worker's {@code CudaBackend} with its CUDA kernel in {@code gpu-worker/src/main/cuda/*.cu}
 *       (the kernels switch on the enum's ordinals, {@code #define SG_*}; {@code KernelShimTest} runs them on
 *       the host against the CPU backend).</li>
 *   <li>A gradcheck case in {@code GradcheckOpCases} (test sources), first and second order in float64. The
 *       coverage test in {@code GradcheckTest} fails while a grad_fn name in these sources has no case, and
 *       {@code BackendConformance} replays every case on the sim device and, in gpu-worker, on CUDA.</li>
 *   <li>A PyTorch reference case: run the PyTorch code with torch 1.13 ({@code /usr/bin/python3}), record it in
 *       {@code src/test/resources/refdata/grad_cases.json} (fields in the README beside it), and add its hand
 *       translation to {@code RefDataTest}.</li>
 * </ol>
 *
 * <p>The package stays one package on purpose: ops, Dispatch, nodes and the backward pass all reach into
 * tensors' package-private state (storage, geometry, autograd state, history), so subpackages would force
 * that state public.
 */
package org.sparkgrad.engine;
