package org.sparkgrad.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkgrad.engine.GradcheckOpCases.Case;
import org.sparkgrad.engine.GradcheckOpCases.SecondOrder;

/**
 * Finite-difference checks of the gradients (and second derivatives) of every differentiable op, a
 * coverage check that fails when the engine gains a grad_fn that no case produces, and negative controls
 * showing that {@link Gradcheck} does catch wrong derivatives.
 */
class GradcheckTest {

    static Stream<Case> cases() {
        return GradcheckOpCases.all().stream();
    }

    static Stream<Case> secondOrderCases() {
        return GradcheckOpCases.all().stream().filter(c -> c.second() != SecondOrder.NONE);
    }

    private static Tensor[] requiringGrad(Tensor[] inputs) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : inputs) {
            if (t.requiresGrad()) {
                out.add(t);
            }
        }
        return out.toArray(new Tensor[0]);
    }

    /** y * y: makes the gradient of a (piecewise) linear op depend on the inputs. */
    private static Gradcheck.Fn squared(Gradcheck.Fn fn) {
        return xs -> {
            Tensor y = fn.apply(xs);
            return y.mul(y);
        };
    }

    // =====================================================================================================
    // The op table

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void firstOrder(Case c) {
        Tensor[] in = c.inputs();
        Tensor y = c.fn().apply(in);
        assertTrue(y.requiresGrad(), c.name() + ": the output should require grad");
        assertNotNull(y.gradFn(), c.name() + ": the output should have a grad_fn");
        assertEquals(c.gradFn(), y.gradFn().name(), c.name() + ": grad_fn of the output");
        named(c, () -> {
            if (c.eps() == 1e-6) {
                Gradcheck.check(c.fn(), in);
            } else {
                Gradcheck.check(c.fn(), c.eps(), 1e-5, 1e-3, in);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("secondOrderCases")
    void secondOrder(Case c) {
        Tensor[] in = c.inputs();
        Gradcheck.Fn fn = c.second() == SecondOrder.DIRECT ? c.fn() : squared(c.fn());
        named(c, () -> Gradcheck.checkGradGrad(fn, in));
    }

    /** Runs a check, putting the case's name in front of any failure (reports show only the case index). */
    private static void named(Case c, Runnable check) {
        try {
            check.run();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(c.name() + ": " + e, e);
        }
    }

    @Test
    void theTableIsLargeAndExcludesFewCasesFromSecondOrder() {
        List<Case> all = GradcheckOpCases.all();
        assertTrue(all.size() > 200, "only " + all.size() + " cases");
        List<String> firstOnly = all.stream().filter(c -> c.second() == SecondOrder.NONE)
                .map(c -> c.name() + " (" + c.noSecondReason() + ")").collect(Collectors.toList());
        for (Case c : all) {
            if (c.second() == SecondOrder.NONE) {
                assertNotNull(c.noSecondReason(), c.name() + " is excluded from second order without a reason");
            }
        }
        // pow 0 (x2 shapes), prod with two zeros, three float32 casts.
        assertEquals(7, firstOnly.size(), "cases without a second-order check: " + firstOnly);
    }

    // =====================================================================================================
    // Coverage: every grad_fn name in the engine's sources is produced by some case

    private static final Pattern GRAD_FN_LITERAL = Pattern.compile("\"([A-Z][A-Za-z]*Backward[0-9]+)\"");

    /** grad_fn names given to nodes in src/main/java/org/sparkgrad/engine/**.java, with the files naming them. */
    static SortedMap<String, SortedSet<String>> declaredGradFnNames() throws IOException {
        Path dir = Paths.get("src", "main", "java", "org", "sparkgrad", "engine");
        assertTrue(Files.isDirectory(dir), "engine sources not found at " + dir.toAbsolutePath()
                + " (the test must run with the engine module as working directory)");
        return gradFnNamesUnder(dir);
    }

    /** grad_fn names in the .java files under {@code dir} and all its subdirectories, with their relative paths. */
    static SortedMap<String, SortedSet<String>> gradFnNamesUnder(Path dir) throws IOException {
        SortedMap<String, SortedSet<String>> names = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(p -> p.getFileName().toString().endsWith(".java") && Files.isRegularFile(p)).sorted()
                    .collect(Collectors.toList());
        }
        for (Path f : files) {
            Matcher m = GRAD_FN_LITERAL.matcher(Files.readString(f, StandardCharsets.UTF_8));
            while (m.find()) {
                names.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(dir.relativize(f).toString());
            }
        }
        return names;
    }

    @Test
    void theSourceScanFindsNamesInSubpackages(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("TopOps.java"), "Node n = new OpNode(\"TopBackward0\", 1);");
        Path nested = Files.createDirectories(dir.resolve("nn").resolve("functional"));
        Files.writeString(nested.resolve("DeepOps.java"), "name = \"DeepBackward1\"; other = \"NotAGradFn\";");
        Files.writeString(nested.resolve("notes.txt"), "\"IgnoredBackward0\"");
        SortedMap<String, SortedSet<String>> names = gradFnNamesUnder(dir);
        assertEquals(List.of("DeepBackward1", "TopBackward0"), List.copyOf(names.keySet()));
        assertEquals(Set.of(Paths.get("nn", "functional", "DeepOps.java").toString()), names.get("DeepBackward1"));
    }

    /** Adds the names of every node reachable from {@code root} (iteratively: graphs may be deep). */
    static void collectNames(Node root, Set<String> into) {
        if (root == null) {
            return;
        }
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        Deque<Node> todo = new ArrayDeque<>();
        todo.push(root);
        seen.put(root, true);
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            into.add(n.name());
            for (Edge e : n.nextFunctions()) {
                if (e.node() != null && seen.put(e.node(), true) == null) {
                    todo.push(e.node());
                }
            }
        }
    }

    /**
     * The grad_fn names of a case: its output's graph, plus the graph of a create_graph gradient of
     * sum(y * y), where names that only backward passes create (SelectBackwardBackward0, ...) appear.
     */
    static Set<String> producedNames(Case c) {
        Set<String> names = new TreeSet<>();
        Tensor[] in = c.inputs();
        Tensor y = c.fn().apply(in);
        collectNames(y.gradFn(), names);
        Tensor[] diff = requiringGrad(in);
        Tensor[] g = Autograd.grad(new Tensor[] {y.mul(y).sum()}, diff, null, true, true, true);
        for (Tensor gi : g) {
            if (gi != null) {
                collectNames(gi.gradFn(), names);
            }
        }
        return names;
    }

    @Test
    void everyGradFnInTheEngineSourcesIsProducedByAGradcheckCase() throws IOException {
        SortedMap<String, SortedSet<String>> declared = declaredGradFnNames();
        assertTrue(declared.size() >= 40, "suspiciously few grad_fn names found in the sources: " + declared.keySet());
        // Spot checks that the scan sees what it should, including backward-only names.
        for (String known : List.of("AddBackward0", "MmBackward0", "SelectBackwardBackward0", "SliceBackwardBackward0",
                "ScatterAddBackward0")) {
            assertTrue(declared.containsKey(known), "the source scan missed " + known + ": " + declared.keySet());
        }
        Set<String> produced = new TreeSet<>();
        List<String> broken = new ArrayList<>();
        for (Case c : GradcheckOpCases.all()) {
            try {
                produced.addAll(producedNames(c));
            } catch (RuntimeException e) {
                // Reported below (the case's own gradcheck fails too); the other cases still count.
                broken.add(c.name() + ": " + e);
            }
        }
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, SortedSet<String>> e : declared.entrySet()) {
            if (!produced.contains(e.getKey())) {
                missing.add(e.getKey() + " (in " + String.join(", ", e.getValue()) + ")");
            }
        }
        assertTrue(missing.isEmpty(), "grad_fn names in the engine sources that no gradcheck case produces "
                + "(add cases to GradcheckOpCases): " + missing
                + (broken.isEmpty() ? "" : "; cases whose graphs could not be built: " + broken));
        assertTrue(broken.isEmpty(), "cases whose graph or create_graph gradient could not be built: " + broken);
    }

    @Test
    void backwardOnlyNodesAppearInCreateGraphGradients() {
        Tensor x = Tensor.tensor(new double[] {1, 2, 3, 4, 5, 6}, DType.FLOAT64, 2, 3).requiresGrad_();
        Tensor gSelect = Autograd.grad(new Tensor[] {x.get(1).pow(2).sum()}, new Tensor[] {x}, null, true, true)[0];
        assertEquals("SelectBackwardBackward0", gSelect.gradFn().name());
        // d/dx sum(x[1]^2) = 2 x on row 1, 0 elsewhere.
        assertArrayEquals(new double[] {0, 0, 0, 8, 10, 12}, gSelect.toArray(), 1e-12);
        Tensor gSlice = Autograd.grad(new Tensor[] {x.slice(1, 0, 3, 2).pow(2).sum()}, new Tensor[] {x}, null, true,
                true)[0];
        assertEquals("SliceBackwardBackward0", gSlice.gradFn().name());
        assertArrayEquals(new double[] {2, 0, 6, 8, 0, 12}, gSlice.toArray(), 1e-12);
        Tensor gGather = Autograd.grad(new Tensor[] {x.gather(1, GradcheckOpCases.longs(new int[] {2, 2}, 2, 2, 0, 1))
                .pow(2).sum()}, new Tensor[] {x}, null, true, true)[0];
        assertEquals("ScatterAddBackward0", walkTo(gGather.gradFn(), "ScatterAddBackward0"));
        // Index 2 of row 0 picked twice: 2 * (2 * 3); row 1 picks 4 and 5 once each.
        assertArrayEquals(new double[] {0, 0, 12, 8, 10, 0}, gGather.toArray(), 1e-12);
    }

    private static String walkTo(Node root, String name) {
        Set<String> names = new TreeSet<>();
        collectNames(root, names);
        return names.contains(name) ? name : "not found in " + names;
    }

    // =====================================================================================================
    // Controls: Gradcheck passes on right derivatives and fails on wrong ones

    /** y = x^3 with the right backward, written with differentiable ops. */
    static final class Cube extends Function {
        @Override
        protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return new Tensor[] {in[0].pow(3)};
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
            Tensor x = ctx.savedTensors()[0];
            return new Tensor[] {grad[0].mul(x.pow(2).mul(3))};
        }
    }

    /** y = x^3 whose backward returns twice the right gradient. */
    static final class WrongCube extends Function {
        @Override
        protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return new Tensor[] {in[0].pow(3)};
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
            Tensor x = ctx.savedTensors()[0];
            return new Tensor[] {grad[0].mul(x.pow(2).mul(6))};
        }
    }

    /**
     * y = x^3 whose backward has the right value 3x^2, but computed as 3 x^3 / detach(x): differentiated
     * again it gives 9x^2 / x = 9x instead of 6x, so the first derivative is right and the second is wrong.
     */
    static final class CubeWrongSecond extends Function {
        @Override
        protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return new Tensor[] {in[0].pow(3)};
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
            Tensor x = ctx.savedTensors()[0];
            return new Tensor[] {grad[0].mul(x.pow(3).div(x.detach()).mul(3))};
        }
    }

    private static Tensor doubles(double... v) {
        return Tensor.tensor(v, DType.FLOAT64, v.length);
    }

    private static final Pattern MISMATCH = Pattern.compile("numerical (\\S+), analytical (\\S+) ");

    @Test
    void aCorrectCustomFunctionPassesAndItsInputsAreRestored() {
        Tensor x = doubles(0.5, -1.2, 0.8).requiresGrad_();
        Gradcheck.Fn fn = in -> new Cube().apply(in[0])[0];
        assertEquals("CubeBackward", fn.apply(x).gradFn().name());
        Gradcheck.check(fn, x);
        Gradcheck.checkGradGrad(fn, x);
        assertArrayEquals(new double[] {0.5, -1.2, 0.8}, x.toArray(), 0.0, "gradcheck must restore its inputs");
        assertEquals(DType.FLOAT64, x.dtype());
        assertTrue(x.isLeaf());
    }

    @Test
    void gradcheckFailsOnABackwardThatIsTwiceTooLarge() {
        Tensor x = doubles(0.5, -1.2, 0.8).requiresGrad_();
        AssertionError e = assertThrows(AssertionError.class,
                () -> Gradcheck.check(in -> new WrongCube().apply(in[0])[0], x));
        String msg = e.getMessage();
        assertTrue(msg.startsWith("Jacobian mismatch for output 0 with respect to input 0 element 0"), msg);
        assertTrue(msg.contains("WrongCubeBackward"), msg);
        Matcher m = MISMATCH.matcher(msg);
        assertTrue(m.find(), msg);
        // d(x^3)/dx at 0.5 is 0.75; the wrong backward says 1.5.
        assertEquals(0.75, Double.parseDouble(m.group(1)), 1e-8, msg);
        assertEquals(1.5, Double.parseDouble(m.group(2)), 1e-12, msg);
        assertArrayEquals(new double[] {0.5, -1.2, 0.8}, x.toArray(), 0.0, "inputs restored after a failure");
    }

    @Test
    void gradcheckFailsOnAWrongBackwardOfOneOfTwoInputs() {
        // x * y with the gradient of y wrong (x^2 instead of x): the mismatch names input 1.
        class BadMul extends Function {
            @Override
            protected Tensor[] forward(FunctionCtx ctx, Tensor... in) {
                ctx.saveForBackward(in[0], in[1]);
                return new Tensor[] {in[0].mul(in[1])};
            }

            @Override
            protected Tensor[] backward(FunctionCtx ctx, Tensor... grad) {
                Tensor[] s = ctx.savedTensors();
                return new Tensor[] {grad[0].mul(s[1]), grad[0].mul(s[0].pow(2))};
            }
        }
        Tensor x = doubles(0.5, -1.5).requiresGrad_();
        Tensor y = doubles(2.0, 3.0).requiresGrad_();
        AssertionError e = assertThrows(AssertionError.class, () -> Gradcheck.check(in -> new BadMul().apply(in)[0], x, y));
        assertTrue(e.getMessage().contains("with respect to input 1 element 0"), e.getMessage());
    }

    @Test
    void gradgradcheckFailsOnAWrongSecondDerivative() {
        Tensor x = doubles(0.5, -1.2, 0.8).requiresGrad_();
        Gradcheck.Fn fn = in -> new CubeWrongSecond().apply(in[0])[0];
        Gradcheck.check(fn, x);
        AssertionError e = assertThrows(AssertionError.class, () -> Gradcheck.checkGradGrad(fn, x));
        assertTrue(e.getMessage().startsWith("Jacobian mismatch"), e.getMessage());
    }

    @Test
    void gradcheckRefusesFloat32InputsWithAClearMessage() {
        Tensor x = Tensor.of(0.5, -1.0, 2.0).requiresGrad_();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gradcheck.check(in -> in[0].exp(), x));
        assertEquals("Gradcheck needs float64 inputs for precision; input 0 is float32. Use .toDouble() before "
                + "requiresGrad_().", e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> Gradcheck.checkGradGrad(in -> in[0].exp(), x));
        assertTrue(e2.getMessage().contains("float64") && e2.getMessage().contains("float32"), e2.getMessage());
        // The second input is the float32 one.
        Tensor d = doubles(1, 2, 3).requiresGrad_();
        IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
                () -> Gradcheck.check(in -> in[0].mul(in[1]), d, x));
        assertTrue(e3.getMessage().contains("input 1 is float32"), e3.getMessage());
    }

    @Test
    void gradcheckRefusesExpandedInputsAndInputsWithoutGrad() {
        Tensor base = doubles(1.0, 2.0);
        Tensor expanded = base.expand(3, 2).requiresGrad_();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gradcheck.check(in -> in[0].exp(), expanded));
        assertTrue(e.getMessage().contains("overlapping memory"), e.getMessage());
        Tensor plain = doubles(1.0, 2.0);
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> Gradcheck.check(in -> in[0].exp(), plain));
        assertTrue(e2.getMessage().contains("at least one input tensor to require gradient"), e2.getMessage());
        Tensor x = doubles(1.0, 2.0).requiresGrad_();
        AssertionError e3 = assertThrows(AssertionError.class,
                () -> Gradcheck.check(in -> in[0].detach().exp(), x));
        assertTrue(e3.getMessage().contains("does not require grad"), e3.getMessage());
    }
}
