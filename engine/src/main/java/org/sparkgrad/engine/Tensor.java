package org.sparkgrad.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.sparkgrad.engine.backend.Backend;
import org.sparkgrad.engine.backend.BinaryOp;
import org.sparkgrad.engine.backend.CpuBackend;
import org.sparkgrad.engine.backend.Storage;
import org.sparkgrad.engine.backend.Strided;
import org.sparkgrad.engine.backend.UnaryOp;

/**
 * An n-dimensional array with PyTorch's semantics: a view (shape, strides, offset) of a storage on a
 * device, broadcasting in every elementwise op, and define-by-run autograd. Ops on tensors that require
 * grad record the graph as they run; {@link #backward()} walks it back.
 *
 * <pre>{@code
 * Tensor x = Tensor.ones(2, 2).requiresGrad_();
 * Tensor out = x.add(2).mul(x.add(2)).mul(3).mean();
 * out.backward();
 * x.grad();   // tensor([[4.5000, 4.5000], [4.5000, 4.5000]])
 * }</pre>
 *
 * Dimensions may be negative (counted from the end) wherever a dimension is asked for.
 */
public class Tensor {
    /** Version counter shared by a tensor and its views: in-place ops bump it, saved tensors check it. */
    static final class Version {
        int value;
    }

    // Not final only for setData (a module moving its parameters to another device).
    private Storage storage;
    private int offset;
    private int[] shape;
    private int[] strides;
    private final Version version;
    /** The tensor whose storage this one views, or null when it owns it. */
    private Tensor base;
    private boolean wrappedNumber;
    private double wrappedValue;
    /** requires_grad, grad, grad_fn, hooks and view history; null until autograd first needs them. */
    private AutogradMeta meta;

    Tensor(Storage storage, int offset, int[] shape, int[] strides, Version version, Tensor base) {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
        this.version = version;
        this.base = base;
    }

    /**
     * A new leaf sharing {@code data}'s storage and version counter, for subclasses such as
     * {@code nn.Parameter}. It starts without history and without requires_grad.
     */
    protected Tensor(Tensor data) {
        this(data.storage, data.offset, data.shape, data.strides, data.version, data.base);
    }

    static Tensor wrap(Storage storage, int[] shape) {
        return new Tensor(storage, 0, shape, Strided.contiguousStrides(shape), new Version(), null);
    }

    /** A 0-d tensor standing for a Java scalar in a binary op (lowest priority in type promotion). */
    static Tensor wrappedScalar(double value, DType dtype, Device device) {
        Tensor t = wrap(Devices.backend(device).fromHost(dtype, new double[] {value}), new int[0]);
        t.wrappedNumber = true;
        t.wrappedValue = value;
        return t;
    }

    /** A view of this tensor's storage with other geometry (no autograd). */
    Tensor viewRaw(int[] newShape, int[] newStrides, int newOffset) {
        return new Tensor(storage, newOffset, newShape, newStrides, version, base != null ? base : this);
    }

    /** A view with a new shape, assuming this tensor is contiguous (no autograd). */
    Tensor viewRaw(int[] newShape) {
        int[] st = Shapes.viewStrides(shape, strides, newShape);
        if (st == null) {
            return Dispatch.contiguousCopy(this).viewRaw(newShape);
        }
        return viewRaw(newShape, st, offset);
    }

    // =====================================================================================================
    // Creation

    /** A 1-d float32 tensor of the given values, like {@code torch.tensor([...])}. */
    public static Tensor of(float... values) {
        return wrap(Devices.backend(Device.CPU).fromHost(values), new int[] {values.length});
    }

    /** A 1-d float32 tensor of the given values (rounded to float, PyTorch's default dtype). */
    public static Tensor of(double... values) {
        return tensor(values, DType.FLOAT32, values.length);
    }

    /** A 1-d int64 tensor, e.g. class targets or indices. */
    public static Tensor ofLongs(long... values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return tensor(d, DType.INT64, values.length);
    }

    /** A 0-d float32 tensor. */
    public static Tensor scalar(double value) {
        return tensor(new double[] {value}, DType.FLOAT32);
    }

    /** A 0-d tensor of the given type. */
    public static Tensor scalar(double value, DType dtype) {
        return tensor(new double[] {value}, dtype);
    }

    /** A float32 tensor of row-major values and a shape. */
    public static Tensor tensor(float[] values, int... shape) {
        checkCount(values.length, shape);
        return wrap(Devices.backend(Device.CPU).fromHost(values), shape.clone());
    }

    /** A tensor of row-major values, a type and a shape. */
    public static Tensor tensor(double[] values, DType dtype, int... shape) {
        checkCount(values.length, shape);
        return wrap(Devices.backend(Device.CPU).fromHost(dtype, values), shape.clone());
    }

    /**
     * A float32 CPU tensor whose storage is values itself, without a copy, as {@code torch.from_numpy}
     * shares a NumPy array's memory: later writes to the array show in the tensor and back. For loaders
     * that fill a large array once and hand it over.
     */
    public static Tensor fromArray(float[] values, int... shape) {
        checkCount(values.length, shape);
        return wrap(CpuBackend.INSTANCE.share(values), shape.clone());
    }

    /**
     * A CPU tensor of a type other than float32 whose storage is values itself, without a copy (see
     * {@link #fromArray(float[], int...)}). The values must already be of the type: 0 or 1 for
     * {@link DType#BOOL}, integers for {@link DType#INT64}.
     *
     * @throws IllegalArgumentException for {@link DType#FLOAT32} (use the float[] form) or a value the type can't hold
     */
    public static Tensor fromArray(double[] values, DType dtype, int... shape) {
        if (dtype == DType.FLOAT32) {
            throw new IllegalArgumentException("a float32 tensor shares a float[], not a double[]");
        }
        checkCount(values.length, shape);
        return wrap(CpuBackend.INSTANCE.share(dtype, values), shape.clone());
    }

    /** A float32 matrix from rows of equal length. */
    public static Tensor tensor(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        float[] flat = new float[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("expected sequence of length " + cols + " at dim 1 (got "
                        + rows[i].length + ") in row " + i);
            }
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return tensor(flat, rows.length, cols);
    }

    /** A float32 matrix from rows of equal length. */
    public static Tensor tensor(double[][] rows) {
        return tensor(rows, DType.FLOAT32);
    }

    /** A matrix of the given type from rows of equal length. */
    public static Tensor tensor(double[][] rows, DType dtype) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        double[] flat = new double[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("expected sequence of length " + cols + " at dim 1 (got "
                        + rows[i].length + ") in row " + i);
            }
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return tensor(flat, dtype, rows.length, cols);
    }

    /** A float32 3-d tensor from nested arrays of equal lengths. */
    public static Tensor tensor(float[][][] blocks) {
        List<Tensor> parts = new ArrayList<>();
        for (float[][] b : blocks) {
            parts.add(tensor(b));
        }
        return stack(parts, 0);
    }

    private static void checkCount(int n, int[] shape) {
        Shapes.checkSizes(shape);
        if (Shapes.numel(shape) != n) {
            throw new IllegalArgumentException("shape " + Shapes.str(shape) + " needs " + Shapes.numel(shape)
                    + " values, got " + n);
        }
    }

    /** A float32 tensor of zeros. */
    public static Tensor zeros(int... shape) {
        return zeros(DType.FLOAT32, shape);
    }

    /** A tensor of zeros of the given type. */
    public static Tensor zeros(DType dtype, int... shape) {
        return Dispatch.empty(Device.CPU, dtype, shape);
    }

    /** A float32 tensor of ones. */
    public static Tensor ones(int... shape) {
        return full(1, shape);
    }

    /** A tensor of ones of the given type. */
    public static Tensor ones(DType dtype, int... shape) {
        return full(1, dtype, shape);
    }

    /** A float32 tensor filled with value. */
    public static Tensor full(double value, int... shape) {
        return full(value, DType.FLOAT32, shape);
    }

    /** A tensor of the given type filled with value. */
    public static Tensor full(double value, DType dtype, int... shape) {
        Tensor t = zeros(dtype, shape);
        if (value != 0) {
            t.backend().fill(t.strided(), value);
        }
        return t;
    }

    /** Zeros with another tensor's shape, type and device. */
    public static Tensor zerosLike(Tensor t) {
        return Dispatch.empty(t.device(), t.dtype(), t.shape);
    }

    /** Ones with another tensor's shape, type and device. */
    public static Tensor onesLike(Tensor t) {
        return fullLike(t, 1);
    }

    /** value with another tensor's shape, type and device. */
    public static Tensor fullLike(Tensor t, double value) {
        Tensor out = zerosLike(t);
        out.backend().fill(out.strided(), value);
        return out;
    }

    /** Standard normal values with another tensor's shape, type and device. */
    public static Tensor randnLike(Tensor t) {
        return randn(Generator.defaultGenerator(), t.shape).to(t.dtype()).to(t.device());
    }

    /** 0, 1, ..., end-1 as float32. */
    public static Tensor arange(double end) {
        return arange(0, end, 1);
    }

    /** start, start+1, ... below end, as float32. */
    public static Tensor arange(double start, double end) {
        return arange(start, end, 1);
    }

    /** start, start+step, ... below end (above it for a negative step), as float32. */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0) {
            throw new IllegalArgumentException("step must be nonzero");
        }
        if ((end - start) / step < 0) {
            throw new IllegalArgumentException("upper bound and larger bound inconsistent with step sign");
        }
        int n = (int) Math.ceil((end - start) / step);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = start + i * step;
        }
        return tensor(v, DType.FLOAT32, n);
    }

    /** steps evenly spaced float32 values from start to end inclusive. */
    public static Tensor linspace(double start, double end, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("number of steps must be non-negative, got " + steps);
        }
        double[] v = new double[steps];
        if (steps == 1) {
            return tensor(new double[] {start}, DType.FLOAT32, 1);
        }
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        int half = steps / 2;
        for (int i = 0; i < steps; i++) {
            // Like PyTorch, fill the second half from the end so that the last value is exactly end.
            v[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
        }
        return tensor(v, DType.FLOAT32, steps);
    }

    /** The n x n float32 identity. */
    public static Tensor eye(int n) {
        Tensor t = zeros(n, n);
        for (int i = 0; i < n; i++) {
            t.backend().fill(new Strided(t.storage, i * (n + 1), new int[0], new int[0]), 1);
        }
        return t;
    }

    /** Uniform [0, 1) float32 values from the default generator. */
    public static Tensor rand(int... shape) {
        return rand(Generator.defaultGenerator(), shape);
    }

    /** Uniform [0, 1) float32 values from a generator. */
    public static Tensor rand(Generator gen, int... shape) {
        Shapes.checkSizes(shape);
        double[] v = new double[Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = gen.nextUniform();
        }
        return tensor(v, DType.FLOAT32, shape);
    }

    /** Standard normal float32 values from the default generator. */
    public static Tensor randn(int... shape) {
        return randn(Generator.defaultGenerator(), shape);
    }

    /** Standard normal float32 values from a generator. */
    public static Tensor randn(Generator gen, int... shape) {
        return normal(0, 1, gen, shape);
    }

    /** Normal(mean, std) float32 values from the default generator, like {@code torch.normal(mean, std, size)}. */
    public static Tensor normal(double mean, double std, int... shape) {
        return normal(mean, std, Generator.defaultGenerator(), shape);
    }

    /** Normal(mean, std) float32 values from a generator. */
    public static Tensor normal(double mean, double std, Generator gen, int... shape) {
        if (!(std >= 0)) {
            throw new IllegalArgumentException("normal expects std >= 0.0, but found std " + std);
        }
        Shapes.checkSizes(shape);
        double[] v = new double[Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = mean + std * gen.nextNormal();
        }
        return tensor(v, DType.FLOAT32, shape);
    }

    // =====================================================================================================
    // Metadata

    /** The sizes of the dimensions (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    int[] shapeRef() {
        return shape;
    }

    /** The element steps of the dimensions (a copy). */
    public int[] strides() {
        return strides.clone();
    }

    /** The size of one dimension. */
    public int size(int dim) {
        return shape[Shapes.wrapDim(dim, shape.length)];
    }

    /** The number of dimensions. */
    public int dim() {
        return shape.length;
    }

    /** The number of elements. */
    public int numel() {
        return Shapes.numel(shape);
    }

    /** The element type. */
    public DType dtype() {
        return storage.dtype();
    }

    /** The device the data lives on. */
    public Device device() {
        return storage.backend().device();
    }

    /** Whether the elements are dense and row-major. */
    public boolean isContiguous() {
        return strided().isContiguous();
    }

    Backend backend() {
        return storage.backend();
    }

    Strided strided() {
        return new Strided(storage, offset, shape, strides);
    }

    /** This tensor's view broadcast to a larger shape (stride 0 on new or size-1 dimensions). */
    Strided broadcastView(int[] target) {
        if (Arrays.equals(target, shape)) {
            return strided();
        }
        int[] st = new int[target.length];
        int lead = target.length - shape.length;
        for (int d = 0; d < shape.length; d++) {
            st[lead + d] = shape[d] == 1 && target[lead + d] != 1 ? 0 : strides[d];
        }
        return new Strided(storage, offset, target, st);
    }

    int storageOffset() {
        return offset;
    }

    Storage storage() {
        return storage;
    }

    int version() {
        return version.value;
    }

    void bumpVersion() {
        version.value++;
    }

    boolean isWrappedNumber() {
        return wrappedNumber;
    }

    /** The Java scalar a wrapped number stands for (read without a device round trip). */
    double wrappedValue() {
        return wrappedValue;
    }

    boolean isView() {
        return base != null;
    }

    /** This tensor's autograd state, made on first need. */
    private AutogradMeta meta() {
        AutogradMeta m = meta;
        if (m == null) {
            m = new AutogradMeta();
            meta = m;
        }
        return m;
    }

    /** grad_fn as it stands, without bringing a view's history up to date first. */
    private Node currentGradFn() {
        return meta == null ? null : meta.gradFn;
    }

    /** Makes this fresh output of a view op a view of {@code of}, for in-place autograd (CopySlices). */
    void markViewOf(Tensor of) {
        AutogradMeta m = meta();
        m.viewBase = of.viewBase() != null ? of.viewBase() : of;
        m.viewMadeWithoutGrad = !GradMode.isEnabled() || of.viewMadeWithoutGrad();
        m.viewBaseGradFn = m.viewBase.currentGradFn();
        m.viewVersion = version.value;
    }

    /** The root of this view's chain of views, or null when this tensor is not the output of a view op. */
    Tensor viewBase() {
        return meta == null ? null : meta.viewBase;
    }

    boolean viewMadeWithoutGrad() {
        return meta != null && meta.viewMadeWithoutGrad;
    }

    /**
     * After an in-place change anywhere in the storage (the shared version moved on), a view's history is
     * regenerated as a view of its base's current history, as PyTorch does lazily: the base may have taken
     * a CopySlices node, and gradients for this view must flow through it.
     */
    private void syncViewHistory() {
        AutogradMeta m = meta;
        if (m == null || m.viewBase == null || m.viewVersion == version.value) {
            return;
        }
        if (m.viewMadeWithoutGrad) {
            // Changes made without recording (optimizer steps under no_grad) leave such a view as it is; a recorded
            // change of its base would leave it silently out of the graph, which PyTorch forbids.
            if (m.viewBase.currentGradFn() != m.viewBaseGradFn) {
                throw new IllegalStateException("A view was created in no_grad mode and its base or another view of its "
                        + "base has been modified inplace with grad mode enabled. Given that this use case is ambiguous "
                        + "and error-prone, it is forbidden. You can clarify your code by moving both the view and the "
                        + "inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or "
                        + "both outside (if you want the inplace to be tracked).");
            }
            return;
        }
        m.viewVersion = version.value;
        if (m.viewBase.requiresGrad()) {
            Node n = CopySlices.viewNode(m.viewBase, this);
            m.gradFn = n;
            m.outputNr = 0;
            m.requiresGrad = true;
        }
    }

    // =====================================================================================================
    // Autograd

    /** Whether gradients flow to or through this tensor. */
    public boolean requiresGrad() {
        syncViewHistory();
        return meta != null && meta.requiresGrad;
    }

    /** Starts tracking operations on this leaf, like {@code requires_grad_()}. */
    public Tensor requiresGrad_() {
        return requiresGrad_(true);
    }

    /** Sets whether this leaf tracks operations. */
    public Tensor requiresGrad_(boolean flag) {
        syncViewHistory();
        if (currentGradFn() != null && !flag) {
            throw new IllegalStateException("you can only change requires_grad flags of leaf variables. If you want to use "
                    + "a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
        }
        if (flag && !dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("only Tensors of floating point dtype can require gradients, got "
                    + dtype().pyName());
        }
        if (flag || meta != null) {
            meta().requiresGrad = flag;
        }
        return this;
    }

    /** Whether this tensor was made by the user rather than by a recorded op. */
    public boolean isLeaf() {
        syncViewHistory();
        return currentGradFn() == null;
    }

    /** The node that made this tensor, or null for leaves (PyTorch's {@code grad_fn}). */
    public Node gradFn() {
        syncViewHistory();
        return currentGradFn();
    }

    /** The accumulated gradient; null before the first backward, and on non-leaves without {@link #retainGrad()}. */
    public Tensor grad() {
        return meta == null ? null : meta.grad;
    }

    /** Replaces the gradient (null clears it), like assigning {@code .grad}. */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape, shape)) {
            throw new IllegalArgumentException("assigned grad has data of a different size: expected "
                    + Shapes.str(shape) + ", got " + Shapes.str(g.shape));
        }
        if (g != null || meta != null) {
            meta().grad = g;
        }
    }

    /** Which output of its {@link #gradFn()} this tensor is. */
    int outputNr() {
        syncViewHistory();
        return meta == null ? 0 : meta.outputNr;
    }

    void setHistory(Node node, int nr) {
        AutogradMeta m = meta();
        m.gradFn = node;
        m.outputNr = nr;
        m.requiresGrad = true;
    }

    /** Where a gradient for this tensor enters the graph. */
    Edge gradientEdge() {
        syncViewHistory();
        AutogradMeta m = meta();
        if (m.gradFn != null) {
            return new Edge(m.gradFn, m.outputNr);
        }
        if (m.accumulator == null) {
            m.accumulator = new AccumulateGrad(this);
        }
        return new Edge(m.accumulator, 0);
    }

    /** What a node keeps of this tensor: the leaf itself, or an alias holding today's history. */
    Tensor savedAlias() {
        syncViewHistory();
        AutogradMeta m = meta;
        if (m == null || m.gradFn == null) {
            return this;
        }
        Tensor t = new Tensor(storage, offset, shape, strides, version, base);
        AutogradMeta tm = t.meta();
        tm.gradFn = m.gradFn;
        tm.outputNr = m.outputNr;
        tm.requiresGrad = m.requiresGrad;
        return t;
    }

    /** Keeps this non-leaf's gradient in {@link #grad()} during backward. */
    public Tensor retainGrad() {
        syncViewHistory();
        AutogradMeta m = meta;
        if (m == null || !m.requiresGrad) {
            throw new IllegalStateException("can't retain_grad on Tensor that has requires_grad=False");
        }
        if (m.gradFn == null || m.retainsGrad) {
            return this;
        }
        m.retainsGrad = true;
        m.gradFn.addPreHook(m.outputNr, g -> {
            accumulateGrad(g, GradMode.isEnabled());
            return null;
        });
        return this;
    }

    /** Whether {@link #retainGrad()} was called on this non-leaf. */
    public boolean retainsGrad() {
        return meta != null && meta.retainsGrad;
    }

    /** A registered hook; {@link #remove()} unregisters it. */
    public interface HookHandle {
        /** Unregisters the hook. */
        void remove();
    }

    /**
     * Calls {@code hook} with this tensor's gradient each time one is computed; a non-null result replaces
     * the gradient, like {@code Tensor.register_hook}.
     */
    public HookHandle registerHook(UnaryOperator<Tensor> hook) {
        syncViewHistory();
        AutogradMeta m = meta;
        if (m == null || !m.requiresGrad) {
            throw new IllegalStateException("cannot register a hook on a tensor that doesn't require gradient");
        }
        // Wrapped so that removing one of two equal hooks removes exactly that registration.
        UnaryOperator<Tensor> h = g -> hook.apply(g);
        if (m.gradFn == null) {
            if (m.leafHooks == null) {
                m.leafHooks = new ArrayList<>();
            }
            m.leafHooks.add(h);
            return () -> m.leafHooks.remove(h);
        }
        Node node = m.gradFn;
        int nr = m.outputNr;
        node.addPreHook(nr, h);
        return () -> node.preHooks.get(nr).remove(h);
    }

    Tensor runLeafHooks(Tensor g) {
        if (meta != null && meta.leafHooks != null) {
            for (UnaryOperator<Tensor> h : meta.leafHooks) {
                Tensor r = h.apply(g);
                if (r != null) {
                    g = r;
                }
            }
        }
        return g;
    }

    /** grad += g, keeping the graph of g only when it is being recorded (create_graph). */
    void accumulateGrad(Tensor g, boolean keepGraph) {
        AutogradMeta m = meta();
        if (m.grad == null) {
            m.grad = keepGraph ? g : Dispatch.contiguousCopy(g);
        } else if (keepGraph || m.grad.requiresGrad()) {
            m.grad = m.grad.add(g);
        } else {
            Dispatch.binaryInPlace(BinaryOp.ADD, m.grad, g);
            m.grad.bumpVersion();
        }
    }

    /** Computes and accumulates the gradient of this one-element tensor with respect to the leaves. */
    public void backward() {
        Autograd.backward(this, null, false, false);
    }

    /** Vector-Jacobian product: accumulates gradient^T J into the leaves. */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient, false, false);
    }

    /** backward, keeping saved tensors when {@code retainGraph}. */
    public void backward(Tensor gradient, boolean retainGraph) {
        Autograd.backward(this, gradient, retainGraph, false);
    }

    /** backward, keeping the graph and recording the backward pass when {@code createGraph}. */
    public void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
        Autograd.backward(this, gradient, retainGraph, createGraph);
    }

    /** A tensor sharing this one's data, cut from the graph. */
    public Tensor detach() {
        return new Tensor(storage, offset, shape, strides, version, base != null ? base : this);
    }

    /** Cuts this tensor from the graph in place, making it a leaf that does not require grad. */
    public Tensor detach_() {
        if (isView() && requiresGrad()) {
            throw new IllegalStateException("Can't detach views in-place. Use detach() instead.");
        }
        if (meta != null) {
            meta.gradFn = null;
            meta.requiresGrad = false;
        }
        return this;
    }

    /**
     * Makes this leaf use {@code data}'s values (shared, no copy), like PyTorch's {@code x.data = data}: the
     * tensor keeps its identity, requires_grad flag and hooks, so optimizers and modules holding it see the
     * new values, which may have another shape, type or device ({@code nn.Module.to(Device)} moves parameters
     * this way). The gradient is kept only when it still fits (same shape, type and device).
     *
     * @throws IllegalStateException when this tensor is not a leaf (it has a grad_fn)
     * @throws IllegalArgumentException when data requires grad but this tensor cannot (an integer type)
     */
    public void setData(Tensor data) {
        if (gradFn() != null) {
            throw new IllegalStateException("setData is for leaf tensors (e.g. parameters); this tensor was made by "
                    + currentGradFn().name() + ". Use detach() to get a leaf first");
        }
        if (meta != null && meta.requiresGrad && !data.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("a tensor that requires grad can't take data of type "
                    + data.dtype().pyName() + ": only floating point types can require gradients");
        }
        storage = data.storage;
        offset = data.offset;
        shape = data.shape;
        strides = data.strides;
        base = data.base == this ? base : data.base;
        AutogradMeta m = meta;
        if (m != null) {
            // the new data is not a view of whatever this tensor was a view of
            m.viewBase = null;
            m.viewMadeWithoutGrad = false;
            m.viewBaseGradFn = null;
            if (m.grad != null && !(m.grad.dtype() == data.dtype() && m.grad.device().equals(data.device())
                    && java.util.Arrays.equals(m.grad.shape, data.shape))) {
                m.grad = null;
            }
        }
        bumpVersion();
    }

    /**
     * The data as a new leaf sharing storage but not the version counter, like PyTorch's {@code .data}:
     * changes made through it are invisible to autograd's checks.
     */
    public Tensor data() {
        return new Tensor(storage, offset, shape, strides, new Version(), base != null ? base : this);
    }

    // =====================================================================================================
    // Elementwise arithmetic

    /** this + other, broadcasting. */
    public Tensor add(Tensor other) {
        return ArithmeticOps.add(this, other);
    }

    /** this + value. */
    public Tensor add(double value) {
        return add(scalarLike(value));
    }

    /** this + value, with value an integral scalar (see {@link #scalarLike(long)}). */
    public Tensor add(long value) {
        return add(scalarLike(value));
    }

    /** this - other, broadcasting. */
    public Tensor sub(Tensor other) {
        return ArithmeticOps.sub(this, other);
    }

    /** this - value. */
    public Tensor sub(double value) {
        return sub(scalarLike(value));
    }

    /** this - value, with value an integral scalar (see {@link #scalarLike(long)}). */
    public Tensor sub(long value) {
        return sub(scalarLike(value));
    }

    /** value - this, like Python's {@code value - x}. */
    public Tensor rsub(double value) {
        return ArithmeticOps.rsub(this, scalarLike(value));
    }

    /** value - this with an integral value. */
    public Tensor rsub(long value) {
        return ArithmeticOps.rsub(this, scalarLike(value));
    }

    /** this + alpha * other, like {@code torch.add(x, other, alpha=alpha)}. */
    public Tensor add(Tensor other, double alpha) {
        return ArithmeticOps.add(this, other, scalarLike(alpha));
    }

    /** this + alpha * other with an integral alpha (the only kind integer tensors accept). */
    public Tensor add(Tensor other, long alpha) {
        return ArithmeticOps.add(this, other, scalarLike(alpha));
    }

    /** this - alpha * other, like {@code torch.sub(x, other, alpha=alpha)}. */
    public Tensor sub(Tensor other, double alpha) {
        return ArithmeticOps.sub(this, other, scalarLike(alpha));
    }

    /** this - alpha * other with an integral alpha. */
    public Tensor sub(Tensor other, long alpha) {
        return ArithmeticOps.sub(this, other, scalarLike(alpha));
    }

    /** other - this, like {@code torch.rsub(x, other)} (grad_fn RsubBackward0). */
    public Tensor rsub(Tensor other) {
        return ArithmeticOps.rsub(this, other, scalarLike(1L));
    }

    /** other - alpha * this. */
    public Tensor rsub(Tensor other, double alpha) {
        return ArithmeticOps.rsub(this, other, scalarLike(alpha));
    }

    /** other - alpha * this with an integral alpha. */
    public Tensor rsub(Tensor other, long alpha) {
        return ArithmeticOps.rsub(this, other, scalarLike(alpha));
    }

    /** this * other, broadcasting. */
    public Tensor mul(Tensor other) {
        return ArithmeticOps.mul(this, other);
    }

    /** this * value. */
    public Tensor mul(double value) {
        return mul(scalarLike(value));
    }

    /** this * value, with value an integral scalar (see {@link #scalarLike(long)}). */
    public Tensor mul(long value) {
        return mul(scalarLike(value));
    }

    /** this / other (true division), broadcasting. */
    public Tensor div(Tensor other) {
        return ArithmeticOps.div(this, other);
    }

    /** this / value. */
    public Tensor div(double value) {
        return div(scalarLike(value));
    }

    /** this / value, with value an integral scalar (see {@link #scalarLike(long)}). */
    public Tensor div(long value) {
        return div(scalarLike(value));
    }

    /** value / this, like Python's {@code value / x} (true division: integer tensors give float32). */
    public Tensor rdiv(double value) {
        return ArithmeticOps.rdiv(this, scalarLike(value));
    }

    /** value / this with an integral value. */
    public Tensor rdiv(long value) {
        return ArithmeticOps.rdiv(this, scalarLike(value));
    }

    /**
     * this / other rounded as {@code torch.div(x, other, rounding_mode=...)}: "trunc" toward zero, "floor" down,
     * null for true division. Integer operands then give an integer result; the gradient is zero.
     */
    public Tensor div(Tensor other, String roundingMode) {
        return ArithmeticOps.div(this, other, roundingMode);
    }

    /** this / value with a rounding mode (see {@link #div(Tensor, String)}). */
    public Tensor div(double value, String roundingMode) {
        return ArithmeticOps.div(this, scalarLike(value), roundingMode);
    }

    /** this / value with a rounding mode, value integral. */
    public Tensor div(long value, String roundingMode) {
        return ArithmeticOps.div(this, scalarLike(value), roundingMode);
    }

    /**
     * dividend / divisor for a number dividend, like {@code torch.div(2.0, t, rounding_mode=...)}: one
     * DivBackward0 node (not {@link #rdiv}'s reciprocal times value); roundingMode null, "trunc" or "floor".
     */
    public static Tensor div(double dividend, Tensor divisor, String roundingMode) {
        return ArithmeticOps.div(divisor.scalarLike(dividend), divisor, roundingMode);
    }

    /** dividend / divisor for an integral dividend (integer tensors with a rounding mode stay integer). */
    public static Tensor div(long dividend, Tensor divisor, String roundingMode) {
        return ArithmeticOps.div(divisor.scalarLike(dividend), divisor, roundingMode);
    }

    /** this ** exponent. */
    public Tensor pow(double exponent) {
        return ArithmeticOps.powScalar(this, scalarLike(exponent));
    }

    /** this ** exponent with an integral exponent: an integer tensor stays integer (a negative exponent is an error). */
    public Tensor pow(long exponent) {
        return ArithmeticOps.powScalar(this, scalarLike(exponent));
    }

    /** this ** exponent elementwise, broadcasting. */
    public Tensor pow(Tensor exponent) {
        return ArithmeticOps.pow(this, exponent);
    }

    /** base ** exponent for a number base, like {@code torch.pow(2.0, t)} (grad_fn PowBackward2). */
    public static Tensor pow(double base, Tensor exponent) {
        return ArithmeticOps.rpow(exponent.scalarLike(base), exponent);
    }

    /** base ** exponent for an integral base (an integer exponent tensor gives integers). */
    public static Tensor pow(long base, Tensor exponent) {
        return ArithmeticOps.rpow(exponent.scalarLike(base), exponent);
    }

    /** -this. */
    public Tensor neg() {
        return ArithmeticOps.neg(this);
    }

    /**
     * A Java double as a binary op's operand, the way PyTorch wraps a Python float: a floating wrapped number,
     * which makes an integer or bool tensor's result float32 but never widens a floating tensor.
     */
    Tensor scalarLike(double value) {
        return wrappedScalar(value, DType.FLOAT64, device());
    }

    /**
     * A Java int or long as a binary op's operand, the way PyTorch wraps a Python int: an integral wrapped
     * number, which keeps every tensor's type except bool's (bool + 1 is int64). Values beyond 2^53 lose
     * precision, as int64 storage holds doubles on the CPU.
     */
    Tensor scalarLike(long value) {
        return wrappedScalar(value, DType.INT64, device());
    }

    // =====================================================================================================
    // Elementwise functions

    /** e^x. */
    public Tensor exp() {
        return MathOps.exp(this);
    }

    /** Natural logarithm. */
    public Tensor log() {
        return MathOps.log(this);
    }

    /** Square root. */
    public Tensor sqrt() {
        return MathOps.sqrt(this);
    }

    /** |x|. */
    public Tensor abs() {
        return MathOps.abs(this);
    }

    /** sin(x). */
    public Tensor sin() {
        return MathOps.sin(this);
    }

    /** cos(x). */
    public Tensor cos() {
        return MathOps.cos(this);
    }

    /** tanh(x). */
    public Tensor tanh() {
        return MathOps.tanh(this);
    }

    /** 1 / (1 + e^-x). */
    public Tensor sigmoid() {
        return MathOps.sigmoid(this);
    }

    /** max(x, 0). */
    public Tensor relu() {
        return MathOps.relu(this);
    }

    /** Clamps into [min, max]; a null bound is open. */
    public Tensor clamp(Double min, Double max) {
        return MathOps.clamp(this, boundLike(min), boundLike(max));
    }

    /** Clamps into [min, max]. */
    public Tensor clamp(double min, double max) {
        return MathOps.clamp(this, scalarLike(min), scalarLike(max));
    }

    /** Clamps into [min, max] with integral bounds: an integer tensor stays integer. */
    public Tensor clamp(long min, long max) {
        return MathOps.clamp(this, scalarLike(min), scalarLike(max));
    }

    /** max(x, min), like {@code torch.clamp_min} (grad_fn ClampMinBackward0; {@code clamp(min, null)} gives ClampBackward1). */
    public Tensor clampMin(double min) {
        return MathOps.clamp(this, scalarLike(min), null, "ClampMinBackward0");
    }

    /** max(x, min) with an integral bound. */
    public Tensor clampMin(long min) {
        return MathOps.clamp(this, scalarLike(min), null, "ClampMinBackward0");
    }

    /** min(x, max), like {@code torch.clamp_max}. */
    public Tensor clampMax(double max) {
        return MathOps.clamp(this, null, scalarLike(max), "ClampMaxBackward0");
    }

    /** min(x, max) with an integral bound. */
    public Tensor clampMax(long max) {
        return MathOps.clamp(this, null, scalarLike(max), "ClampMaxBackward0");
    }

    /**
     * Clamps into [min, max] elementwise with tensor bounds (null for an open bound), broadcasting all three;
     * differentiable in the bounds too (grad_fn ClampBackward0).
     */
    public Tensor clamp(Tensor min, Tensor max) {
        return MathOps.clampTensor(this, min, max, "ClampBackward0");
    }

    /** max(x, min) elementwise with a tensor bound (grad_fn ClampMinBackward1). */
    public Tensor clampMin(Tensor min) {
        return MathOps.clampTensor(this, min, null, "ClampMinBackward1");
    }

    /** min(x, max) elementwise with a tensor bound (grad_fn ClampMaxBackward1). */
    public Tensor clampMax(Tensor max) {
        return MathOps.clampTensor(this, null, max, "ClampMaxBackward1");
    }

    /** The elementwise maximum, broadcasting; NaN where either is NaN (ties share the gradient). */
    public Tensor maximum(Tensor other) {
        return MathOps.maximum(this, other, true);
    }

    /** The elementwise minimum, broadcasting; NaN where either is NaN. */
    public Tensor minimum(Tensor other) {
        return MathOps.maximum(this, other, false);
    }

    /** {@code torch.max(x, other)}: the same as {@link #maximum}. */
    public Tensor max(Tensor other) {
        return maximum(other);
    }

    /** {@code torch.min(x, other)}: the same as {@link #minimum}. */
    public Tensor min(Tensor other) {
        return minimum(other);
    }

    /** A clamp bound as a floating wrapped number, or null for an open bound. */
    private Tensor boundLike(Double bound) {
        return bound == null ? null : scalarLike(bound.doubleValue());
    }

    // =====================================================================================================
    // Comparisons (masks; not differentiable)

    /** this == other as a bool mask. */
    public Tensor eq(Tensor other) {
        return Dispatch.binary(BinaryOp.EQ, this, other);
    }

    /** this == value as a bool mask. */
    public Tensor eq(double value) {
        return eq(scalarLike(value));
    }

    /** this == value as a bool mask, compared in this tensor's type when it is integral. */
    public Tensor eq(long value) {
        return eq(scalarLike(value));
    }

    /** this != other as a bool mask. */
    public Tensor ne(Tensor other) {
        return Dispatch.binary(BinaryOp.NE, this, other);
    }

    /** this != value as a bool mask. */
    public Tensor ne(double value) {
        return ne(scalarLike(value));
    }

    /** this != value as a bool mask, compared in this tensor's type when it is integral. */
    public Tensor ne(long value) {
        return ne(scalarLike(value));
    }

    /** this &lt; other as a bool mask. */
    public Tensor lt(Tensor other) {
        return Dispatch.binary(BinaryOp.LT, this, other);
    }

    /** this &lt; value as a bool mask. */
    public Tensor lt(double value) {
        return lt(scalarLike(value));
    }

    /** this &lt; value as a bool mask, compared in this tensor's type when it is integral. */
    public Tensor lt(long value) {
        return lt(scalarLike(value));
    }

    /** this &lt;= other as a bool mask. */
    public Tensor le(Tensor other) {
        return Dispatch.binary(BinaryOp.LE, this, other);
    }

    /** this &lt;= value as a bool mask. */
    public Tensor le(double value) {
        return le(scalarLike(value));
    }

    /** this &lt;= value as a bool mask, compared in this tensor's type when it is integral. */
    public Tensor le(long value) {
        return le(scalarLike(value));
    }

    /** this &gt; other as a bool mask. */
    public Tensor gt(Tensor other) {
        return Dispatch.binary(BinaryOp.GT, this, other);
    }

    /** this &gt; value as a bool mask. */
    public Tensor gt(double value) {
        return gt(scalarLike(value));
    }

    /** this &gt; value as a bool mask, compared in this tensor's type when it is integral. */
    public Tensor gt(long value) {
        return gt(scalarLike(value));
    }

    /** this &gt;= other as a bool mask. */
    public Tensor ge(Tensor other) {
        return Dispatch.binary(BinaryOp.GE, this, other);
    }

    /** this &gt;= value as a bool mask. */
    public Tensor ge(double value) {
        return ge(scalarLike(value));
    }

    /** this &gt;= value as a bool mask, compared in this tensor's type when it is integral. */
    public Tensor ge(long value) {
        return ge(scalarLike(value));
    }

    /** Whether every element is non-zero (true). */
    public boolean all() {
        for (double v : toArray()) {
            if (v == 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether some element is non-zero (true). */
    public boolean any() {
        for (double v : toArray()) {
            if (v != 0) {
                return true;
            }
        }
        return false;
    }

    /** cond ? a : b elementwise, broadcasting all three. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return IndexingOps.where(cond, a, b);
    }

    /** cond ? a : value. */
    public static Tensor where(Tensor cond, Tensor a, double value) {
        return IndexingOps.where(cond, a, a.scalarLike(value));
    }

    /** cond ? a : value with an integral value (an integer a stays integer). */
    public static Tensor where(Tensor cond, Tensor a, long value) {
        return IndexingOps.where(cond, a, a.scalarLike(value));
    }

    /** value where mask is true, else this. */
    public Tensor maskedFill(Tensor mask, double value) {
        return IndexingOps.maskedFill(this, mask, value);
    }

    /** cond ? value : b, value a Python-style float (it does not widen a floating b). */
    public static Tensor where(Tensor cond, double value, Tensor b) {
        return IndexingOps.where(cond, b.scalarLike(value), b);
    }

    /** cond ? value : b with an integral value (an integer b stays integer). */
    public static Tensor where(Tensor cond, long value, Tensor b) {
        return IndexingOps.where(cond, b.scalarLike(value), b);
    }

    /** value where mask is true, else this, value a 0-d tensor (differentiable in it too). */
    public Tensor maskedFill(Tensor mask, Tensor value) {
        return IndexingOps.maskedFill(this, mask, value);
    }

    // =====================================================================================================
    // Matrix products

    /** Matrix product with PyTorch's matmul rules for 1-d, 2-d and batched operands. */
    public Tensor matmul(Tensor other) {
        return LinalgOps.matmul(this, other);
    }

    /** Product of two matrices. */
    public Tensor mm(Tensor other) {
        return LinalgOps.mm(this, other);
    }

    /** Matrix-vector product. */
    public Tensor mv(Tensor vector) {
        return LinalgOps.mv(this, vector);
    }

    /** Inner product of two 1-d tensors. */
    public Tensor dot(Tensor other) {
        return LinalgOps.dot(this, other);
    }

    /** Batched matrix product of [B, M, K] and [B, K, N]. */
    public Tensor bmm(Tensor other) {
        return LinalgOps.bmm(this, other);
    }

    /** bias + m1 @ m2 (bias broadcast to the product's shape), like {@code torch.addmm}: one node, AddmmBackward0. */
    public static Tensor addmm(Tensor bias, Tensor m1, Tensor m2) {
        return LinalgOps.addmm(bias, m1, m2);
    }

    // =====================================================================================================
    // Views and shape

    /** The transpose of a matrix (tensors of at most 2 dimensions). */
    public Tensor t() {
        if (dim() > 2) {
            throw new IllegalArgumentException("t() expects a tensor with <= 2 dimensions, but self is " + dim() + "D");
        }
        return dim() < 2 ? ViewOps.alias(this, "TBackward0") : ViewOps.transpose(this, 0, 1, "TBackward0");
    }

    /** Swaps two dimensions (a view). */
    public Tensor transpose(int dim0, int dim1) {
        return ViewOps.transpose(this, dim0, dim1, "TransposeBackward0");
    }

    /** Reorders dimensions (a view). */
    public Tensor permute(int... dims) {
        return ViewOps.permute(this, dims);
    }

    /** A view with a new shape (one size may be -1); fails when the strides do not allow a view. */
    public Tensor view(int... shape) {
        return ViewOps.view(this, shape);
    }

    /** A view with a new shape when the strides allow it, else a copy. */
    public Tensor reshape(int... shape) {
        return ViewOps.reshape(this, shape);
    }

    /** One dimension, a copy only when needed. */
    public Tensor flatten() {
        return flatten(0, -1);
    }

    /** Merges dimensions startDim..endDim into one. */
    public Tensor flatten(int startDim, int endDim) {
        return ViewOps.flatten(this, startDim, endDim);
    }

    /** Removes every dimension of size 1. */
    public Tensor squeeze() {
        return ViewOps.squeeze(this);
    }

    /** Removes dimension dim when its size is 1. */
    public Tensor squeeze(int dim) {
        return ViewOps.squeeze(this, dim, "SqueezeBackward1");
    }

    /** Inserts a dimension of size 1 at dim. */
    public Tensor unsqueeze(int dim) {
        return ViewOps.unsqueeze(this, dim);
    }

    /** Repeats size-1 dimensions to a larger shape without copying (-1 keeps a size). */
    public Tensor expand(int... sizes) {
        return ViewOps.expand(this, sizes);
    }

    /** Expands to another tensor's shape. */
    public Tensor expandAs(Tensor other) {
        return ViewOps.expand(this, other.shape);
    }

    /** Element i of dimension 0, like {@code x[i]}; several indices select along leading dimensions. */
    public Tensor get(int... indices) {
        Tensor t = this;
        for (int i = 0; i < indices.length; i++) {
            t = t.select(0, indices[i]);
        }
        return t;
    }

    /** The slice at index along dim, without that dimension (a view). */
    public Tensor select(int dim, int index) {
        return ViewOps.select(this, dim, index);
    }

    /** Elements from..to-1 along dim, like {@code x[from:to]} (negative and out-of-range bounds are clipped). */
    public Tensor slice(int dim, int from, int to) {
        return ViewOps.slice(this, dim, from, to, 1);
    }

    /** Elements from..to-1 by step along dim, like {@code x[from:to:step]}. */
    public Tensor slice(int dim, int from, int to, int step) {
        return ViewOps.slice(this, dim, from, to, step);
    }

    /** length elements from start along dim (a view; start may be negative, the range may not exceed the size). */
    public Tensor narrow(int dim, int start, int length) {
        return ViewOps.narrow(this, dim, start, length);
    }

    /** narrow with start given as a 0-d integer tensor. */
    public Tensor narrow(int dim, Tensor start, int length) {
        if (start.dim() != 0 || start.dtype().isFloatingPoint() || start.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("start must be an 0-dim integral Tensor.");
        }
        return ViewOps.narrow(this, dim, (int) start.item(), length);
    }

    /** Concatenates along an existing dimension. */
    public static Tensor cat(List<Tensor> tensors, int dim) {
        return IndexingOps.cat(tensors, dim);
    }

    /** Concatenates along an existing dimension. */
    public static Tensor cat(int dim, Tensor... tensors) {
        return IndexingOps.cat(Arrays.asList(tensors), dim);
    }

    /** Stacks equally shaped tensors along a new dimension. */
    public static Tensor stack(List<Tensor> tensors, int dim) {
        return IndexingOps.stack(tensors, dim);
    }

    /** Stacks equally shaped tensors along a new dimension. */
    public static Tensor stack(int dim, Tensor... tensors) {
        return IndexingOps.stack(Arrays.asList(tensors), dim);
    }

    /** out[i][j] = this[i][index[i][j]] along dim (index: int64 of the output's shape). */
    public Tensor gather(int dim, Tensor index) {
        return IndexingOps.gather(this, dim, index);
    }

    /** The entries at a 1-d int64 index along dim. */
    public Tensor indexSelect(int dim, Tensor index) {
        return IndexingOps.indexSelect(this, dim, index);
    }

    /**
     * Advanced indexing by int64 index tensors on the leading dimensions, like {@code x[rows, cols]}
     * (the index tensors broadcast together; a bool mask as the only index selects where it is true).
     */
    public Tensor index(Tensor... indices) {
        return IndexingOps.index(this, indices);
    }

    // =====================================================================================================
    // Reductions

    /** Sum of all elements. */
    public Tensor sum() {
        return ReductionOps.sum(this, null, false);
    }

    /** Sum over the given dimensions, dropping them. */
    public Tensor sum(int... dims) {
        return ReductionOps.sum(this, dims, false);
    }

    /** Sum over one dimension. */
    public Tensor sum(int dim, boolean keepdim) {
        return ReductionOps.sum(this, new int[] {dim}, keepdim);
    }

    /** Sum over the given dimensions. */
    public Tensor sum(int[] dims, boolean keepdim) {
        return ReductionOps.sum(this, dims, keepdim);
    }

    /** Mean of all elements. */
    public Tensor mean() {
        return ReductionOps.mean(this, null, false);
    }

    /** Mean over the given dimensions, dropping them. */
    public Tensor mean(int... dims) {
        return ReductionOps.mean(this, dims, false);
    }

    /** Mean over one dimension. */
    public Tensor mean(int dim, boolean keepdim) {
        return ReductionOps.mean(this, new int[] {dim}, keepdim);
    }

    /** Mean over the given dimensions. */
    public Tensor mean(int[] dims, boolean keepdim) {
        return ReductionOps.mean(this, dims, keepdim);
    }

    /** Product of all elements. */
    public Tensor prod() {
        return ReductionOps.prod(this, null, false);
    }

    /** Product over one dimension. */
    public Tensor prod(int dim, boolean keepdim) {
        return ReductionOps.prod(this, dim, keepdim);
    }

    /** The largest element. */
    public Tensor max() {
        return ReductionOps.extreme(this, true);
    }

    /** The smallest element. */
    public Tensor min() {
        return ReductionOps.extreme(this, false);
    }

    /** Values and indices of the maxima along dim. */
    public ValuesIndices max(int dim) {
        return ReductionOps.extreme(this, dim, false, true);
    }

    /** Values and indices of the maxima along dim. */
    public ValuesIndices max(int dim, boolean keepdim) {
        return ReductionOps.extreme(this, dim, keepdim, true);
    }

    /** Values and indices of the minima along dim. */
    public ValuesIndices min(int dim) {
        return ReductionOps.extreme(this, dim, false, false);
    }

    /** Values and indices of the minima along dim. */
    public ValuesIndices min(int dim, boolean keepdim) {
        return ReductionOps.extreme(this, dim, keepdim, false);
    }

    /** Indices of the maxima along dim. */
    public Tensor argmax(int dim) {
        return max(dim).indices();
    }

    /** Indices of the maxima along dim (int64; the first one among ties). */
    public Tensor argmax(int dim, boolean keepdim) {
        return ReductionOps.argmax(this, dim, keepdim, true);
    }

    /** The index of the largest element of the flattened tensor (0-d int64). */
    public Tensor argmax() {
        return ReductionOps.argmax(this, null, false, true);
    }

    /** Indices of the minima along dim. */
    public Tensor argmin(int dim) {
        return ReductionOps.argmax(this, dim, false, false);
    }

    /** Indices of the minima along dim. */
    public Tensor argmin(int dim, boolean keepdim) {
        return ReductionOps.argmax(this, dim, keepdim, false);
    }

    /** The index of the smallest element of the flattened tensor. */
    public Tensor argmin() {
        return ReductionOps.argmax(this, null, false, false);
    }

    /** The largest element (like {@link #max()}, but the gradient is shared among ties: AmaxBackward0). */
    public Tensor amax() {
        return ReductionOps.amax(this, null, false, true);
    }

    /** The maxima over dims (all when empty), values only; ties share the gradient. */
    public Tensor amax(int[] dims, boolean keepdim) {
        return ReductionOps.amax(this, dims, keepdim, true);
    }

    /** The smallest element (AminBackward0). */
    public Tensor amin() {
        return ReductionOps.amax(this, null, false, false);
    }

    /** The minima over dims (all when empty), values only. */
    public Tensor amin(int[] dims, boolean keepdim) {
        return ReductionOps.amax(this, dims, keepdim, false);
    }

    /** The result of max(dim)/min(dim). */
    public record ValuesIndices(Tensor values, Tensor indices) {
    }

    /** The 2-norm of all elements. */
    public Tensor norm() {
        return ReductionOps.norm(this, 2, null, false);
    }

    /** The p-norm of all elements. */
    public Tensor norm(double p) {
        return ReductionOps.norm(this, p, null, false);
    }

    /** The p-norm over the given dimensions. */
    public Tensor norm(double p, int[] dims, boolean keepdim) {
        return ReductionOps.norm(this, p, dims, keepdim);
    }

    /**
     * {@code torch.norm(x, p, dims, keepdim)} with p "fro" (dims may be null) or "nuc" (the nuclear norm of the
     * matrices in the two dims; of x, a matrix, when dims is null).
     */
    public Tensor norm(String p, int[] dims, boolean keepdim) {
        return ReductionOps.norm(this, p, dims, keepdim);
    }

    /** {@code torch.linalg.vector_norm(x, ord, dims, keepdim)}: the ord-norm of the elements over dims (all when null). */
    public Tensor vectorNorm(double ord, int[] dims, boolean keepdim) {
        return ReductionOps.norm(this, ord, dims, keepdim, "LinalgVectorNormBackward0");
    }

    /**
     * {@code torch.linalg.matrix_norm(x, ord, dims, keepdim)} over two dims (batched over the others), ord "fro"
     * or "nuc" (the sum of the singular values; its gradient is U V^T).
     */
    public Tensor matrixNorm(String ord, int[] dims, boolean keepdim) {
        return ReductionOps.matrixNorm(this, ord, dims, keepdim);
    }

    /**
     * {@code torch.linalg.matrix_norm(x, ord, dims, keepdim)} for ord 1, -1, inf, -inf (largest / smallest
     * absolute column or row sum) and 2, -2 (largest / smallest singular value; gradient u1 v1^T, u_min v_min^T,
     * shared evenly among equal singular values as PyTorch does).
     */
    public Tensor matrixNorm(double ord, int[] dims, boolean keepdim) {
        return ReductionOps.matrixNorm(this, ord, dims, keepdim);
    }

    /**
     * {@code torch.linalg.svdvals(x)}: the singular values of the matrices in the last two dims, descending, in
     * a tensor of shape [..., min(m, n)] (computed in float64 by one-sided Jacobi). The gradient is
     * U diag(grad) V^T (PyTorch's svd_backward, differentiable again).
     */
    public Tensor svdvals() {
        return LinalgOps.svdvals(this);
    }

    /** Softmax along dim. */
    public Tensor softmax(int dim) {
        return SoftmaxOps.softmax(this, dim);
    }

    /** Log of softmax along dim, computed stably. */
    public Tensor logSoftmax(int dim) {
        return SoftmaxOps.logSoftmax(this, dim);
    }

    // =====================================================================================================
    // Copies and conversion

    /** A copy with its own storage, recorded by autograd. */
    public Tensor clone() {
        return ViewOps.cloneTensor(this);
    }

    /** This tensor when dense and row-major, else a copy that is. */
    public Tensor contiguous() {
        return isContiguous() ? this : clone();
    }

    /** This tensor converted to a type (itself when it has it already). */
    public Tensor to(DType dtype) {
        return dtype == dtype() ? this : ViewOps.toCopy(this, dtype, device());
    }

    /** This tensor on a device (itself when it is there already). */
    public Tensor to(Device device) {
        return device.equals(device()) ? this : ViewOps.toCopy(this, dtype(), device);
    }

    /** float32 version. */
    public Tensor toFloat() {
        return to(DType.FLOAT32);
    }

    /** float64 version. */
    public Tensor toDouble() {
        return to(DType.FLOAT64);
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (numel() != 1) {
            throw new IllegalStateException("a Tensor with " + numel() + " elements cannot be converted to Scalar");
        }
        return backend().toHostDouble(strided())[0];
    }

    /** The elements in row-major order. */
    public double[] toArray() {
        return backend().toHostDouble(strided());
    }

    /** The elements in row-major order, as floats. */
    public float[] toFloatArray() {
        return backend().toHostFloat(strided());
    }

    /** The elements in row-major order, as longs (for int64 tensors). */
    public long[] toLongArray() {
        double[] d = toArray();
        long[] out = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (long) d[i];
        }
        return out;
    }

    /** Whether shapes are equal and every element is close: |a - b| &lt;= atol + rtol * |b|. */
    public boolean allclose(Tensor other, double rtol, double atol) {
        if (!Arrays.equals(shape, other.shape)) {
            return false;
        }
        double[] a = toArray();
        double[] b = other.toArray();
        for (int i = 0; i < a.length; i++) {
            // NaN is close to nothing, as in PyTorch's default (equal_nan=False); equal infinities are close.
            if (a[i] != b[i] && !(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]))) {
                return false;
            }
        }
        return true;
    }

    /** allclose with PyTorch's defaults rtol = 1e-5, atol = 1e-8. */
    public boolean allclose(Tensor other) {
        return allclose(other, 1e-5, 1e-8);
    }

    /** Whether shapes and all elements are exactly equal. */
    public boolean equal(Tensor other) {
        return Arrays.equals(shape, other.shape) && Arrays.equals(toArray(), other.toArray());
    }

    /**
     * Fails with the position of the first NaN or infinite element, naming {@code what}; returns this.
     * Use it on data at the boundary of a program so that bad input never turns into a silent answer.
     */
    public Tensor requireFinite(String what) {
        if (!dtype().isFloatingPoint()) {
            return this;
        }
        double[] v = toArray();
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException(what + " contains " + v[i] + " at index " + Arrays.toString(unravel(i))
                        + " (shape " + Shapes.str(shape) + ")");
            }
        }
        return this;
    }

    private int[] unravel(int flat) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    // =====================================================================================================
    // In-place ops
    //
    // Under autograd, like PyTorch: a leaf that requires grad, or a view of one, may only be changed under
    // GradMode.noGrad(); a non-leaf takes the history of the out-of-place op; a view (select, slice, t, ...)
    // passes the new value to its base, whose grad_fn becomes CopySlices, while the view's own history
    // becomes AsStridedBackward0 of the base.

    /** this += other. */
    public Tensor add_(Tensor other) {
        return InPlace.binary(this, BinaryOp.ADD, other);
    }

    /** this += value. */
    public Tensor add_(double value) {
        return add_(scalarLike(value));
    }

    /** this += value with an integral value. */
    public Tensor add_(long value) {
        return add_(scalarLike(value));
    }

    /**
     * this += alpha * other in one pass, like {@code add_(other, alpha=...)} (the optimizer update
     * {@code p.add_(grad, -lr)}).
     */
    public Tensor add_(Tensor other, double alpha) {
        if (GradMode.isEnabled() && (requiresGrad() || other.requiresGrad())) {
            return InPlace.binary(this, BinaryOp.ADD, other.mul(alpha));
        }
        InPlace.checkLeaf(this);
        Dispatch.sameDevice(this, other);
        if (!Shapes.broadcastsTo(other.shape, shape)) {
            throw new IllegalArgumentException("output with shape " + Shapes.str(shape)
                    + " doesn't match the broadcast shape " + Shapes.str(Shapes.broadcast(shape, other.shape)));
        }
        backend().axpy(alpha, Dispatch.as(other, dtype()).broadcastView(shape), strided());
        bumpVersion();
        return this;
    }

    /** this -= other. */
    public Tensor sub_(Tensor other) {
        return InPlace.binary(this, BinaryOp.SUB, other);
    }

    /** this -= value. */
    public Tensor sub_(double value) {
        return sub_(scalarLike(value));
    }

    /** this -= value with an integral value. */
    public Tensor sub_(long value) {
        return sub_(scalarLike(value));
    }

    /** this *= other. */
    public Tensor mul_(Tensor other) {
        return InPlace.binary(this, BinaryOp.MUL, other);
    }

    /** this *= value. */
    public Tensor mul_(double value) {
        return mul_(scalarLike(value));
    }

    /** this *= value with an integral value. */
    public Tensor mul_(long value) {
        return mul_(scalarLike(value));
    }

    /** this /= other. */
    public Tensor div_(Tensor other) {
        return InPlace.binary(this, BinaryOp.DIV, other);
    }

    /** this /= value. */
    public Tensor div_(double value) {
        return div_(scalarLike(value));
    }

    /** this /= value with an integral value. */
    public Tensor div_(long value) {
        return div_(scalarLike(value));
    }

    /** Sets every element to 0. */
    public Tensor zero_() {
        return InPlace.fill(this, 0, "ZeroBackward0");
    }

    /** Sets every element to value. */
    public Tensor fill_(double value) {
        return InPlace.fill(this, value, "FillBackward2");
    }

    /** Refills with Normal(mean, std) values from the default generator. */
    public Tensor normal_(double mean, double std) {
        return normal_(mean, std, Generator.defaultGenerator());
    }

    /** Refills with Normal(mean, std) values from a generator. */
    public Tensor normal_(double mean, double std, Generator gen) {
        return copy_(normal(mean, std, gen, shape));
    }

    /** Refills with Uniform[from, to) values from the default generator. */
    public Tensor uniform_(double from, double to) {
        return uniform_(from, to, Generator.defaultGenerator());
    }

    /** Refills with Uniform[from, to) values from a generator. */
    public Tensor uniform_(double from, double to, Generator gen) {
        if (!(from <= to)) {
            throw new IllegalArgumentException("uniform_ expects to return a [from, to) range, but found from=" + from
                    + " > to=" + to);
        }
        Tensor u = rand(gen, shape);
        try (GradMode.Scope s = GradMode.noGrad()) {
            return copy_(u.mul(to - from).add(from));
        }
    }

    /**
     * Copies src (broadcast to this shape, converted to this type, moved from its device) into this tensor.
     * Recorded by autograd when src or this tensor requires grad: on a view it is Java's form of PyTorch's
     * indexed assignment, e.g. {@code out.select(0, t).copy_(h)} for {@code out[t] = h} (the view's base then
     * has grad_fn CopySlices); on a non-leaf the old value gets a zero gradient (CopyBackwards).
     */
    public Tensor copy_(Tensor src) {
        if (!Shapes.broadcastsTo(src.shape, shape)) {
            throw new IllegalArgumentException("The size of tensor a (" + Shapes.str(shape) + ") must match the size "
                    + "of tensor b (" + Shapes.str(src.shape) + ") for copy_");
        }
        if (!src.device().equals(device())) {
            src = src.to(device()); // like PyTorch, copy_ also copies between devices
        }
        return InPlace.copy(this, src);
    }

    /** Clamps in place into [min, max]; a null bound is open. */
    public Tensor clamp_(Double min, Double max) {
        return InPlace.clamp(this, boundLike(min), boundLike(max));
    }

    /** Clamps in place into [min, max]. */
    public Tensor clamp_(double min, double max) {
        return InPlace.clamp(this, scalarLike(min), scalarLike(max));
    }

    /** Clamps in place into [min, max] with integral bounds. */
    public Tensor clamp_(long min, long max) {
        return InPlace.clamp(this, scalarLike(min), scalarLike(max));
    }

    /** Unary op applied in place (no autograd), for optimizers and initialisers. */
    Tensor applyRaw(UnaryOp op) {
        backend().unary(op, strided(), strided());
        bumpVersion();
        return this;
    }

    /** Makes this tensor take a new value computed from it, with new history (in-place autograd). */
    void rebase(Tensor result) {
        backend().copy(result.broadcastView(shape), strided());
        bumpVersion();
        if (result.currentGradFn() != null) {
            setHistory(result.currentGradFn(), result.meta.outputNr);
        }
    }

    // =====================================================================================================
    // Printing

    /** PyTorch's printout, e.g. {@code tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)}. */
    @Override
    public String toString() {
        return TensorFormatter.format(this);
    }
}
