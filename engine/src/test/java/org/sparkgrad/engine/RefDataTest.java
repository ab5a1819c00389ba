package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays the cases of {@code refdata/grad_cases.json} (recorded from PyTorch 1.13 in float64, see the
 * README beside it) through the engine: each case's PyTorch {@code code} has a hand translation below.
 *
 * <p>Tolerance: a value {@code a} matches the recorded {@code b} when {@code |a - b| <= tol * max(1, |b|)}
 * (relative for large values, absolute near zero), with {@code tol = 1e-5} in float64 and {@code 1e-4} in
 * float32. Shapes and dtypes must match exactly; PyTorch's grad_fn name must match exactly, except for the
 * two cases whose PyTorch op (an {@code nn.functional} loss) has no single engine op and is composed from
 * primitives: there the name of the composition's last op is checked instead ({@link #COMPOSED_GRAD_FN}).
 */
class RefDataTest {
    private static final String RESOURCE = "/refdata/grad_cases.json";
    private static final double TOL64 = 1e-5;
    private static final double TOL32 = 1e-4;

    private static final JsonNode ROOT = load();

    /**
     * Cases whose PyTorch op is a fused nn.functional loss that the engine composes from primitives: the
     * grad_fn checked is that of the composition's last op (what the engine really records).
     */
    private static final Map<String, String> COMPOSED_GRAD_FN = Map.of(
            "cross_entropy_mean", "MeanBackward0",   // F.cross_entropy -> NllLossBackward0 in PyTorch
            "mse_mean", "MeanBackward0");            // F.mse_loss -> MseLossBackward0 in PyTorch

    // =====================================================================================================
    // Translation context

    /** One execution of a case: bound inputs, grad_output, the phase reached, the output and extras. */
    static final class Run {
        final Map<String, Tensor> inputs;
        final Tensor gradOutput;
        String phase = "forward";
        Tensor out;
        final Map<String, Tensor> extras = new LinkedHashMap<>();

        Run(Map<String, Tensor> inputs, Tensor gradOutput) {
            this.inputs = inputs;
            this.gradOutput = gradOutput;
        }

        Tensor in(String name) {
            Tensor t = inputs.get(name);
            if (t == null) {
                throw new AssertionError("translation asks for input '" + name + "' that the case does not have");
            }
            return t;
        }

        Tensor gout() {
            if (gradOutput == null) {
                throw new AssertionError("translation asks for grad_output but the case has none");
            }
            return gradOutput;
        }

        /** Ends the forward phase with {@code out}, then runs the case's backward code. */
        void backward(Tensor result, Runnable backwardCode) {
            this.out = result;
            phase = "backward";
            backwardCode.run();
            phase = "done";
        }

        /** {@code out.backward(grad_output)}. */
        void vjp(Tensor result) {
            backward(result, () -> result.backward(gout()));
        }

        /** {@code out.backward()}. */
        void scalarBackward(Tensor result) {
            backward(result, result::backward);
        }

        /** A named intermediate recorded in the case's {@code extra}. */
        void extra(String name, Tensor value) {
            extras.put(name, value);
        }
    }

    // =====================================================================================================
    // Translations of every case's code (same order as the JSON)

    private static final Map<String, Consumer<Run>> TRANSLATIONS = new LinkedHashMap<>();

    private static void def(String name, Consumer<Run> code) {
        if (TRANSLATIONS.put(name, code) != null) {
            throw new IllegalStateException("duplicate translation " + name);
        }
    }

    static {
        // out = x + y
        def("add_bcast_2x3_plus_3", r -> r.vjp(r.in("x").add(r.in("y"))));
        // out = x - y
        def("sub_bcast_4x1_minus_1x5", r -> r.vjp(r.in("x").sub(r.in("y"))));
        // out = x * y
        def("mul_bcast_4x1_times_1x5", r -> r.vjp(r.in("x").mul(r.in("y"))));
        // out = (x / y).sum(); out.backward()
        def("div_bcast_col", r -> r.scalarBackward(r.in("x").div(r.in("y")).sum()));
        // out = (2.0 - x) * (1.0 / x)
        def("rsub_rdiv", r -> {
            Tensor x = r.in("x");
            r.vjp(x.rsub(2.0).mul(x.rdiv(1.0)));
        });
        // out = x * y + z
        def("bcast_3d", r -> r.vjp(r.in("x").mul(r.in("y")).add(r.in("z"))));
        // out = x ** 2 + x ** 3
        def("pow_int_2_3", r -> {
            Tensor x = r.in("x");
            r.vjp(x.pow(2).add(x.pow(3)));
        });
        // out = 3 * x ** 3 + 4 * x ** 2 + 6; out.backward()
        def("poly_3x3_4x2_6_at_1", r -> {
            Tensor x = r.in("x");
            r.scalarBackward(x.pow(3).mul(3).add(x.pow(2).mul(4)).add(6));
        });
        // y = 3 * x ** 3 + 4 * x ** 2 + 6; out = y.mean(); out.backward()
        def("poly_3x3_4x2_6_matrix_mean", r -> {
            Tensor x = r.in("x");
            Tensor y = x.pow(3).mul(3).add(x.pow(2).mul(4)).add(6);
            r.scalarBackward(y.mean());
        });
        // out = torch.abs(x)
        def("abs", r -> r.vjp(r.in("x").abs()));
        // out = -x + 2 * x.neg()
        def("neg", r -> {
            Tensor x = r.in("x");
            r.vjp(x.neg().add(x.neg().mul(2)));
        });
        // out = torch.cos(x)
        def("cos", r -> r.vjp(r.in("x").cos()));
        // out = (torch.sin(x) * torch.cos(x)).sum(); out.backward()
        def("sin_times_cos_sum", r -> {
            Tensor x = r.in("x");
            r.scalarBackward(x.sin().mul(x.cos()).sum());
        });
        // out = torch.tanh(x)
        def("tanh", r -> r.vjp(r.in("x").tanh()));
        // out = torch.relu(x)
        def("relu", r -> r.vjp(r.in("x").relu()));
        // out = x.clamp(min=0)      (clamp with max=None)
        def("clamp_min0", r -> r.vjp(r.in("x").clamp(0.0, null)));
        // out = x.clamp(min=-0.5, max=0.5)
        def("clamp_min_max", r -> r.vjp(r.in("x").clamp(-0.5, 0.5)));
        // out = torch.where(x > 0, x, 0.1 * x)
        def("leaky_where", r -> {
            Tensor x = r.in("x");
            r.vjp(Tensor.where(x.gt(0), x, x.mul(0.1)));
        });
        // out = torch.mm(a, b)
        def("mm_3x4_4x2", r -> r.vjp(r.in("a").mm(r.in("b"))));
        // out = torch.dot(u, v); out.backward()
        def("dot", r -> r.scalarBackward(r.in("u").dot(r.in("v"))));
        // out = A @ v + torch.mv(A, v) * 0.5
        def("matrix_vector", r -> {
            Tensor a = r.in("A");
            Tensor v = r.in("v");
            r.vjp(a.matmul(v).add(a.mv(v).mul(0.5)));
        });
        // out = v @ A
        def("vector_matrix", r -> r.vjp(r.in("v").matmul(r.in("A"))));
        // out = (x.t() * w) @ x + x.T.sum()      (x.T of a matrix is permute(1, 0) in PyTorch)
        def("transpose_t", r -> {
            Tensor x = r.in("x");
            Tensor w = r.in("w");
            r.vjp(x.t().mul(w).matmul(x).add(x.permute(1, 0).sum()));
        });
        // out = (x.transpose(0, 2) * w).sum(); out.backward()
        def("transpose_dims_3d", r -> r.scalarBackward(r.in("x").transpose(0, 2).mul(r.in("w")).sum()));
        // out = (x.view(3, 2) * w).reshape(6)
        def("reshape_view", r -> r.vjp(r.in("x").view(3, 2).mul(r.in("w")).reshape(6)));
        // out = x.unsqueeze(0).expand(3, 4) * w
        def("unsqueeze_expand", r -> r.vjp(r.in("x").unsqueeze(0).expand(3, 4).mul(r.in("w"))));
        // out = x.sum(dim=(0, 2))
        def("sum_multi_dim_3d", r -> r.vjp(r.in("x").sum(0, 2)));
        // out = (x * x).mean(); out.backward()
        def("mean_all", r -> {
            Tensor x = r.in("x");
            r.scalarBackward(x.mul(x).mean());
        });
        // out = x.min(dim=0).values
        def("min_dim0", r -> r.vjp(r.in("x").min(0).values()));
        // out = x.norm(dim=1)        
        def("norm_l2_dim", r -> r.vjp(r.in("x").norm(2, new int[] {1}, false)));
        // out = torch.softmax(x, dim=1)
        def("softmax_dim1", r -> r.vjp(r.in("x").softmax(1)));
        // out = F.softmax(x, dim=0)
        def("softmax_dim0", r -> r.vjp(r.in("x").softmax(0)));
        // X_exp = torch.exp(x); out = X_exp / X_exp.sum(1, keepdim=True)
        def("softmax_manual", r -> {
            Tensor xExp = r.in("x").exp();
            r.vjp(xExp.div(xExp.sum(1, true)));
        });
        // out = F.cross_entropy(logits, target); out.backward()
        // composed: mean over the batch of -log_softmax(logits)[i, target[i]]
        def("cross_entropy_mean", r -> {
            Tensor logits = r.in("logits");
            Tensor target = r.in("target");
            r.scalarBackward(logits.logSoftmax(1).gather(1, target.unsqueeze(1)).neg().mean());
        });
        // out = -torch.log_softmax(z, dim=1).gather(1, t.unsqueeze(1)).mean(); out.backward()
        def("nll_manual_gather", r -> {
            Tensor z = r.in("z");
            Tensor t = r.in("t");
            r.scalarBackward(z.logSoftmax(1).gather(1, t.unsqueeze(1)).mean().neg());
        });
        // y_hat = torch.softmax(z, dim=1); out = -torch.log(y_hat[range(len(y_hat)), t]).sum(); out.backward()
        def("nll_manual_adv_index", r -> {
            Tensor yHat = r.in("z").softmax(1);
            Tensor t = r.in("t");
            r.scalarBackward(yHat.index(range(yHat.size(0)), t).log().sum().neg());
        });
        // out = F.mse_loss(p, t); out.backward()      (composed: mean of squared differences)
        def("mse_mean", r -> r.scalarBackward(r.in("p").sub(r.in("t")).pow(2).mean()));
        // out = x[0]
        def("index_row0", r -> r.vjp(r.in("x").get(0)));
        // out = x[:, 1]
        def("index_col1", r -> r.vjp(r.in("x").select(1, 1)));
        // out = x[1:, ::2].sum() * 2 + (x[-1] ** 2).sum(); out.backward()
        def("slice_step_neg", r -> {
            Tensor x = r.in("x");
            Tensor a = x.slice(0, 1, Integer.MAX_VALUE).slice(1, 0, Integer.MAX_VALUE, 2).sum().mul(2);
            r.scalarBackward(a.add(x.get(-1).pow(2).sum()));
        });
        // out = torch.cat([x, y], dim=0)
        def("cat_dim0", r -> r.vjp(Tensor.cat(0, r.in("x"), r.in("y"))));
        // out = torch.stack([x, y * 2], dim=1)
        def("stack_dim1", r -> r.vjp(Tensor.stack(1, r.in("x"), r.in("y").mul(2))));
        // out = (x * x).sum(); out.backward()
        def("reuse_x_twice_same_op", r -> {
            Tensor x = r.in("x");
            r.scalarBackward(x.mul(x).sum());
        });
        // out = (x ** 2).sum(); out.backward(retain_graph=True); out.backward()
        def("grad_accumulate_retain_graph", r -> {
            Tensor out = r.in("x").pow(2).sum();
            r.backward(out, () -> {
                out.backward(null, true);
                out.backward();
            });
        });
        // out = (x * 3).sum(); out.backward(); out2 = (x ** 2).sum(); out2.backward()
        def("grad_accumulate_two_graphs", r -> {
            Tensor x = r.in("x");
            Tensor out = x.mul(3).sum();
            r.backward(out, () -> {
                out.backward();
                Tensor out2 = x.pow(2).sum();
                out2.backward();
            });
        });
        // out = (x ** 3).sum(); (x * 5).sum().backward(); x.grad.zero_(); out.backward()
        def("grad_zero_between", r -> {
            Tensor x = r.in("x");
            Tensor out = x.pow(3).sum();
            r.backward(out, () -> {
                x.mul(5).sum().backward();
                x.grad().zero_();
                out.backward();
            });
        });
        // y = x * x; u = y.detach(); out = (u * x).sum(); out.backward()
        def("detach_d2l", r -> {
            Tensor x = r.in("x");
            Tensor y = x.mul(x);
            Tensor u = y.detach();
            r.extra("u", u);
            r.scalarBackward(u.mul(x).sum());
        });
        // with torch.no_grad(): z = x * 2
        // out = (x * z).sum(); out.backward()
        def("no_grad_block", r -> {
            Tensor x = r.in("x");
            Tensor z;
            try (GradMode.Scope s = GradMode.noGrad()) {
                z = x.mul(2);
            }
            r.scalarBackward(x.mul(z).sum());
        });
        // out = torch.tanh(x @ w).sum(); out.backward()
        def("partial_requires_grad", r -> r.scalarBackward(r.in("x").matmul(r.in("w")).tanh().sum()));
        // y = x * 2; out = (y * y).sum(); out.backward(); y_grad = y.grad
        def("nonleaf_grad_none_warning", r -> {
            Tensor y = r.in("x").mul(2);
            Tensor out = y.mul(y).sum();
            r.backward(out, () -> {
                out.backward();
                r.extra("y_grad", y.grad());
            });
        });
        // b = a * 2
        // while b.norm() < 1000: b = b * 2
        // if b.sum() > 0: c = b  else: c = 100 * b
        // out = c; out.backward()
        def("d2l_control_flow", r -> {
            Tensor b = r.in("a").mul(2);
            while (b.norm().item() < 1000) {
                b = b.mul(2);
            }
            Tensor c = b.sum().item() > 0 ? b : b.mul(100);
            r.extra("b", b);
            r.scalarBackward(c);
        });
        // y = x * 2
        // while y.data.norm() < 1000: y = y * 2
        // out = y; out.backward(grad_output)
        def("blitz_while_vjp", r -> {
            Tensor y = r.in("x").mul(2);
            while (y.data().norm().item() < 1000) {
                y = y.mul(2);
            }
            r.vjp(y);
        });
        // out = x ** 2 * 3
        def("vjp_simple", r -> r.vjp(r.in("x").pow(2).mul(3)));
        // out = torch.exp(x) * x; out.backward(torch.ones_like(out))
        def("backward_ones_like", r -> {
            Tensor x = r.in("x");
            Tensor out = x.exp().mul(x);
            r.backward(out, () -> out.backward(Tensor.onesLike(out)));
        });
        // out = torch.mean((a * X - Y + b) ** 2 / (a ** 2 + 1)); out.backward()
        def("line_fit_perpendicular", r -> {
            Tensor a = r.in("a");
            Tensor b = r.in("b");
            Tensor num = a.mul(r.in("X")).sub(r.in("Y")).add(b).pow(2);
            r.scalarBackward(num.div(a.pow(2).add(1)).mean());
        });
        // y_hat = torch.matmul(X, w) + b
        // l = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
        // out = l.sum() / 10; out.backward()
        def("linreg_squared_loss_d2l", r -> {
            Tensor yHat = r.in("X").matmul(r.in("w")).add(r.in("b"));
            Tensor l = yHat.sub(r.in("y").reshape(yHat.shape())).pow(2).div(2);
            r.scalarBackward(l.sum().div(10));
        });
        // y_pred = x.mm(w1).clamp(min=0).mm(w2); out = (y_pred - y).pow(2).sum(); out.backward()
        def("mlp_tutorial_raw_4x7_5_3", r -> {
            Tensor yPred = r.in("x").mm(r.in("w1")).clamp(0.0, null).mm(r.in("w2"));
            r.scalarBackward(yPred.sub(r.in("y")).pow(2).sum());
        });
        // out = x * 2; out.backward()      -> fails in backward: non-scalar without a gradient
        def("err_backward_nonscalar_no_grad", r -> r.scalarBackward(r.in("x").mul(2)));
        // out = torch.mm(a, b); out.sum().backward()      -> fails in forward: 2x3 @ 2x3
        def("err_mm_shape_mismatch", r -> {
            Tensor out = r.in("a").mm(r.in("b"));
            r.backward(out, () -> out.sum().backward());
        });
    }

    /** {@code torch.tensor(range(n))}: 0..n-1 as int64. */
    private static Tensor range(int n) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return Tensor.ofLongs(v);
    }

    // =====================================================================================================
    // Loading

    private static JsonNode load() {
        try (InputStream in = RefDataTest.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource " + RESOURCE);
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<JsonNode> cases() {
        List<JsonNode> out = new ArrayList<>();
        ROOT.get("cases").forEach(out::add);
        return out;
    }

    static Stream<Arguments> allCases() {
        return cases().stream().map(c -> Arguments.of(c.get("name").asText(), c));
    }

    static Stream<Arguments> nonErrorCases() {
        return cases().stream().filter(c -> !isError(c)).map(c -> Arguments.of(c.get("name").asText(), c));
    }

    private static boolean isError(JsonNode c) {
        return c.hasNonNull("error");
    }

    private static int[] shapeOf(JsonNode spec) {
        JsonNode s = spec.get("shape");
        int[] shape = new int[s.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = s.get(i).asInt();
        }
        return shape;
    }

    private static double[] valuesOf(JsonNode spec) {
        JsonNode v = spec.get("values");
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i).asDouble();
        }
        return out;
    }

    private static DType dtypeOf(JsonNode spec) {
        String d = spec.get("dtype").asText();
        for (DType t : DType.values()) {
            if (t.pyName().equals(d)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dtype " + d);
    }

    /** A tensor from a JSON spec; floating specs get {@code floatType} (float64, or float32 narrowed). */
    private static Tensor build(JsonNode spec, DType floatType) {
        DType d = dtypeOf(spec);
        DType t = d.isFloatingPoint() ? floatType : d;
        double[] v = valuesOf(spec);
        if (t == DType.FLOAT32) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) v[i];
            }
        }
        return Tensor.tensor(v, t, shapeOf(spec));
    }

    private static Consumer<Run> translation(String name) {
        Consumer<Run> code = TRANSLATIONS.get(name);
        if (code == null) {
            fail("case '" + name + "' has no Java translation in RefDataTest.TRANSLATIONS");
        }
        return code;
    }

    /** The case's inputs (requires_grad as recorded) and grad_output, with floating data in floatType. */
    private static Run bind(JsonNode c, DType floatType) {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = c.get("inputs").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            Tensor t = build(e.getValue(), floatType);
            if (e.getValue().get("requires_grad").asBoolean()) {
                t.requiresGrad_();
            }
            inputs.put(e.getKey(), t);
        }
        Tensor gout = c.hasNonNull("grad_output") ? build(c.get("grad_output"), floatType) : null;
        return new Run(inputs, gout);
    }

    private static Run execute(JsonNode c, DType floatType) {
        Consumer<Run> code = translation(c.get("name").asText());
        Run run = bind(c, floatType);
        code.accept(run);
        return run;
    }

    // =====================================================================================================
    // Checks

    private static void assertClose(String what, JsonNode expected, Tensor actual, DType floatType, double tol) {
        assertNotNull(actual, what + ": expected a tensor, got null");
        assertArrayEquals(shapeOf(expected), actual.shape(), what + ": shape");
        DType d = dtypeOf(expected);
        assertEquals(d.isFloatingPoint() ? floatType : d, actual.dtype(), what + ": dtype");
        double[] want = valuesOf(expected);
        double[] got = actual.toArray();
        assertEquals(want.length, got.length, what + ": number of values");
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            if (!(err <= tol * Math.max(1.0, Math.abs(want[i])))) {
                fail(what + ": value " + i + " is " + got[i] + ", PyTorch gives " + want[i] + " (|diff| " + err
                        + " > " + tol + " * max(1, |expected|))");
            }
        }
    }

    /** Every leaf's .grad: the recorded one where listed (null where null), none for the others. */
    private static void checkGrads(JsonNode c, Run run, DType floatType, double tol) {
        JsonNode grads = c.get("grads");
        for (Map.Entry<String, Tensor> e : run.inputs.entrySet()) {
            String leaf = e.getKey();
            JsonNode want = grads == null || grads.isNull() ? null : grads.get(leaf);
            Tensor got = e.getValue().grad();
            if (want == null || want.isNull()) {
                assertNull(got, "grad of '" + leaf + "' should be None as in PyTorch, got " + got);
            } else {
                assertClose("grad of '" + leaf + "'", want, got, floatType, tol);
            }
        }
    }

    private static void checkExtras(JsonNode c, Run run, DType floatType, double tol) {
        JsonNode extra = c.get("extra");
        if (extra == null || extra.isNull()) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = extra.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            assertTrue(run.extras.containsKey(e.getKey()), "translation did not record extra '" + e.getKey() + "'");
            Tensor got = run.extras.get(e.getKey());
            if (e.getValue().isNull()) {
                assertNull(got, "extra '" + e.getKey() + "' should be None as in PyTorch, got " + got);
            } else {
                assertClose("extra '" + e.getKey() + "'", e.getValue(), got, floatType, tol);
            }
        }
    }

    // =====================================================================================================
    // Tests

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void matchesPyTorchFloat64(String name, JsonNode c) {
        if (isError(c)) {
            checkError(c);
            return;
        }
        Run run = execute(c, DType.FLOAT64);
        assertEquals("done", run.phase, "translation did not run its backward");
        assertClose("output", c.get("output"), run.out, DType.FLOAT64, TOL64);

        String pyGradFn = c.get("output_grad_fn").asText();
        String wantGradFn = COMPOSED_GRAD_FN.getOrDefault(name, pyGradFn);
        assertNotNull(run.out.gradFn(), "output has no grad_fn; PyTorch's is " + pyGradFn);
        assertEquals(wantGradFn, run.out.gradFn().name(), "grad_fn of the output (PyTorch: " + pyGradFn + ")");

        checkGrads(c, run, DType.FLOAT64, TOL64);
        checkExtras(c, run, DType.FLOAT64, TOL64);
    }

    private static void checkError(JsonNode c) {
        JsonNode err = c.get("error");
        String phase = err.get("phase").asText();
        String message = err.get("message").asText();
        Consumer<Run> code = translation(c.get("name").asText());
        Run run = bind(c, DType.FLOAT64);
        RuntimeException thrown = null;
        try {
            code.accept(run);
        } catch (RuntimeException e) {
            thrown = e;
        }
        assertNotNull(thrown, "expected PyTorch's " + err.get("type").asText() + " in the " + phase
                + " phase: " + message);
        assertEquals(phase, run.phase, "phase the exception was thrown in (" + thrown + ")");
        String got = String.valueOf(thrown.getMessage());
        assertTrue(got.contains(message), "message should contain PyTorch's '" + message + "', was '" + got + "'");
        if (c.hasNonNull("output")) {
            // the forward succeeded in PyTorch: its result must match too
            assertClose("output", c.get("output"), run.out, DType.FLOAT64, TOL64);
        }
        // PyTorch failed before accumulating anything: every leaf's .grad is still None.
        checkGrads(c, run, DType.FLOAT64, TOL64);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nonErrorCases")
    void matchesPyTorchInFloat32(String name, JsonNode c) {
        Run run = execute(c, DType.FLOAT32);
        assertEquals("done", run.phase, "translation did not run its backward");
        assertClose("output", c.get("output"), run.out, DType.FLOAT32, TOL32);
        checkGrads(c, run, DType.FLOAT32, TOL32);
        checkExtras(c, run, DType.FLOAT32, TOL32);
    }

    @Test
    void loadsEveryRecordedCase() {
        List<JsonNode> cases = cases();
        assertEquals(59, ROOT.get("num_cases").asInt(), "num_cases of the reference file");
        assertEquals(ROOT.get("num_cases").asInt(), cases.size(), "cases present vs num_cases (truncated file?)");
        long errors = cases.stream().filter(RefDataTest::isError).count();
        assertEquals(ROOT.get("num_error_cases").asInt(), errors, "error cases present vs num_error_cases");
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode c : cases) {
            assertTrue(names.add(c.get("name").asText()), "duplicate case name " + c.get("name").asText());
        }
    }

    @Test
    void everyTranslationBelongsToARecordedCase() {
        Set<String> names = new LinkedHashSet<>();
        cases().forEach(c -> names.add(c.get("name").asText()));
        for (String t : TRANSLATIONS.keySet()) {
            assertTrue(names.contains(t), "translation '" + t + "' has no case in " + RESOURCE);
        }
        assertEquals(names, TRANSLATIONS.keySet(), "one translation per case, in the file's order");
        assertFalse(TRANSLATIONS.isEmpty());
    }
}
