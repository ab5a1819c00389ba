package org.sparkgrad.engine.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkgrad.engine.Autograd;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.opinfo.OpInfoCorpus.Entry;
import org.sparkgrad.engine.opinfo.OpInfoCorpus.Expected;
import org.sparkgrad.engine.opinfo.OpInfoCall.Unsupported;

/**
 * PyTorch's own OpInfo sample and error inputs (torch 1.13, recorded by gen_opinfo_corpus.py) run through our
 * API by {@link OpInfoOps}: every mapped sample must give torch's outputs (shape, dtype, values), grad_fn
 * name and input gradients, and every mapped error input must throw with torch's message. Samples using
 * an op or argument we lack are counted as unsupported, and the counts must equal the committed
 * {@code opinfo/unsupported.txt}, so coverage cannot shrink unnoticed (nor grow without the list saying so).
 */
class OpInfoTest {
    private static final double RTOL = 1e-7;
    private static final double ATOL = 1e-9;
    static final String UNSUPPORTED_LIST = "/opinfo/unsupported.txt";
    static final String KNOWN_FAILURES = "/opinfo/known_failures.txt";

    /** What became of one entry. */
    enum Outcome { PASS, FAIL, UNSUPPORTED }

    record Result(Entry entry, Outcome outcome, String detail) {
    }

    private static Map<String, List<Result>> results;

    /** Every entry's result by OpInfo key, computed once for all the tests of this class. */
    static synchronized Map<String, List<Result>> results() {
        if (results == null) {
            Map<String, List<Result>> byKey = new TreeMap<>();
            for (Entry e : OpInfoCorpus.load()) {
                byKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(run(e));
            }
            results = byKey;
        }
        return results;
    }

    static Stream<String> keys() {
        return results().keySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keys")
    void mappedInputsMatchTorch(String key) throws IOException {
        Map<String, String> known = knownFailures();
        List<String> failures = results().get(key).stream()
                .filter(r -> r.outcome() == Outcome.FAIL && !known.containsKey(r.entry().toString()))
                .map(r -> r.entry() + ": " + r.detail()).collect(Collectors.toList());
        assertTrue(failures.isEmpty(), failures.size() + " failing: " + String.join("\n", failures));
    }

    @Test
    void unsupportedCountsEqualTheCommittedList() throws IOException {
        SortedMap<String, Integer> counts = new TreeMap<>();
        int samples = 0;
        int errors = 0;
        int passed = 0;
        int failed = 0;
        int unsupported = 0;
        StringBuilder perOp = new StringBuilder();
        StringBuilder failures = new StringBuilder();
        for (Map.Entry<String, List<Result>> e : results().entrySet()) {
            int p = 0;
            int f = 0;
            int u = 0;
            for (Result r : e.getValue()) {
                if (r.entry().error()) {
                    errors++;
                } else {
                    samples++;
                }
                switch (r.outcome()) {
                    case PASS -> p++;
                    case FAIL -> {
                        f++;
                        failures.append("  ").append(r.entry()).append(": ").append(r.detail()).append('\n');
                    }
                    case UNSUPPORTED -> {
                        u++;
                        counts.merge(e.getKey() + ": " + r.detail(), 1, Integer::sum);
                    }
                }
            }
            passed += p;
            failed += f;
            unsupported += u;
            perOp.append(String.format("  %-50s %4d passed %4d failed %4d unsupported%n", e.getKey(), p, f, u));
        }
        String actual = counts.entrySet().stream().map(e -> e.getKey() + " x" + e.getValue())
                .collect(Collectors.joining("\n", "", "\n"));
        String summary = String.format("OpInfo corpus: %d sample inputs + %d error inputs: %d passed, %d failed, "
                + "%d unsupported%n%s%nunsupported:%n%s%nfailed:%n%s", samples, errors, passed, failed, unsupported, perOp, actual,
                failures);
        Map<String, String> known = knownFailures();
        List<String> nowPassing = results().values().stream().flatMap(List::stream)
                .filter(r -> known.containsKey(r.entry().toString()) && r.outcome() == Outcome.PASS)
                .map(r -> r.entry().toString()).collect(Collectors.toList());
        summary += "\nknown failures (" + KNOWN_FAILURES + "): " + known.size()
                + (nowPassing.isEmpty() ? "" : "; now passing, remove them from the list: " + nowPassing) + "\n";
        System.out.println(summary);
        Path out = Paths.get("target", "opinfo-summary.txt");
        if (Files.isDirectory(out.getParent())) {
            Files.writeString(out, summary, StandardCharsets.UTF_8);
        }
        assertEquals(resource(UNSUPPORTED_LIST), actual, "the unsupported OpInfo inputs changed: update "
                + "src/test/resources" + UNSUPPORTED_LIST + " (the summary is in target/opinfo-summary.txt)");
    }

    @Test
    void knownFailuresAreListedWithAReason() throws IOException {
        Map<String, List<Result>> all = results();
        for (Map.Entry<String, String> k : knownFailures().entrySet()) {
            assertTrue(!k.getValue().isBlank(), k.getKey() + " is listed as a known failure without a reason");
            String key = k.getKey().substring(k.getKey().indexOf(' ') + 1, k.getKey().lastIndexOf('#'));
            assertTrue(all.containsKey(key) && all.get(key).stream().anyMatch(r -> r.entry().toString().equals(k.getKey())),
                    k.getKey() + " is listed as a known failure but is not in the corpus");
        }
    }

    @Test
    void theCorpusCoversTheOpsOfIssue13() {
        Map<String, List<Result>> all = results();
        for (String key : List.of("add", "sub", "div.trunc_rounding", "div.floor_rounding", "pow", "clamp", "maximum",
                "minimum", "max.binary", "min.binary", "amax", "amin", "narrow", "where", "masked_fill", "argmax",
                "argmin", "norm", "linalg.matrix_norm", "nn.functional.cross_entropy", "nn.functional.nll_loss",
                "nn.functional.binary_cross_entropy_with_logits", "nn.functional.linear")) {
            assertTrue(all.containsKey(key) && all.get(key).size() > 0, key + " has no inputs in the corpus");
        }
        assertTrue(all.values().stream().mapToInt(List::size).sum() > 1500, "the corpus is smaller than expected");
    }

    // =====================================================================================================
    // Running one entry

    static Result run(Entry e) {
        OpInfoOps.Mapping m = OpInfoOps.get(e.key());
        if (m == null) {
            return new Result(e, Outcome.UNSUPPORTED, "no mapping");
        }
        OpInfoCall call = e.decode();
        Object result;
        try {
            result = m.call(call);
        } catch (Unsupported u) {
            return new Result(e, Outcome.UNSUPPORTED, u.getMessage());
        } catch (RuntimeException ex) {
            List<String> unread = call.unread();
            if (!unread.isEmpty()) {
                return new Result(e, Outcome.UNSUPPORTED, "unread " + String.join(", ", unread));
            }
            if (!e.error()) {
                return new Result(e, Outcome.FAIL, "threw " + ex);
            }
            String regex = e.errorRegex();
            String msg = String.valueOf(ex.getMessage());
            if (!regex.isEmpty() && !Pattern.compile(regex).matcher(msg).find()) {
                return new Result(e, Outcome.FAIL, "message \"" + msg + "\" does not match torch's /" + regex + "/");
            }
            return new Result(e, Outcome.PASS, null);
        }
        List<String> unread = call.unread();
        if (!unread.isEmpty()) {
            return new Result(e, Outcome.UNSUPPORTED, "unread " + String.join(", ", unread));
        }
        if (e.error()) {
            return new Result(e, Outcome.FAIL, "no error; torch raises " + e.errorType() + " /" + e.errorRegex() + "/");
        }
        try {
            String mismatch = compare(e, call, result instanceof Tensor t ? new Tensor[] {t} : (Tensor[]) result);
            return mismatch == null ? new Result(e, Outcome.PASS, null) : new Result(e, Outcome.FAIL, mismatch);
        } catch (RuntimeException ex) {
            return new Result(e, Outcome.FAIL, "backward threw " + ex);
        }
    }

    /** The first difference from torch's record, or null. */
    private static String compare(Entry e, OpInfoCall call, Tensor[] outs) {
        List<Expected> expected = e.outputs();
        if (outs.length != expected.size()) {
            return outs.length + " outputs, torch has " + expected.size();
        }
        for (int i = 0; i < outs.length; i++) {
            String d = differs("output " + i, expected.get(i), outs[i]);
            if (d != null) {
                return d;
            }
        }
        String fn = e.gradFns().get(0);
        String ours = outs[0].gradFn() == null ? null : outs[0].gradFn().name();
        if (fn == null ? ours != null : !fn.equals(ours)) {
            return "grad_fn " + ours + ", torch has " + fn;
        }
        List<Expected> grads = e.grads();
        if (grads == null || grads.isEmpty()) {
            return null;
        }
        List<Tensor> inputs = call.differentiable();
        if (inputs.size() != grads.size()) {
            return inputs.size() + " differentiable inputs, torch has " + grads.size();
        }
        List<Tensor> diffOuts = new ArrayList<>();
        List<Tensor> ups = new ArrayList<>();
        for (Tensor o : outs) {
            if (o.requiresGrad()) {
                diffOuts.add(o);
                ups.add(upstream(o));
            }
        }
        if (diffOuts.isEmpty()) {
            return "no output requires grad";
        }
        Tensor[] g = Autograd.grad(diffOuts.toArray(new Tensor[0]), inputs.toArray(new Tensor[0]),
                ups.toArray(new Tensor[0]), false, false, true);
        for (int i = 0; i < g.length; i++) {
            Expected want = grads.get(i);
            if (want == null) {
                if (g[i] != null && Arrays.stream(g[i].toArray()).anyMatch(v -> v != 0)) {
                    return "gradient " + i + " is non-zero where torch's input is unused";
                }
                continue;
            }
            if (g[i] == null) {
                g[i] = Tensor.zerosLike(inputs.get(i));
            }
            String d = differs("gradient " + i, want, g[i]);
            if (d != null) {
                return d;
            }
        }
        return null;
    }

    /** The generator's fixed upstream gradient: 0.5 + 0.25 * (i % 5), in the output's shape and type. */
    static Tensor upstream(Tensor out) {
        double[] v = new double[out.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = 0.5 + 0.25 * (i % 5);
        }
        return Tensor.tensor(v, out.dtype(), out.shape());
    }

    private static String differs(String what, Expected want, Tensor got) {
        if (!Arrays.equals(want.shape(), got.shape())) {
            return what + " has shape " + Arrays.toString(got.shape()) + ", torch " + Arrays.toString(want.shape());
        }
        if (!want.dtype().equals(got.dtype().pyName())) {
            return what + " has dtype " + got.dtype().pyName() + ", torch " + want.dtype();
        }
        double[] v = got.toArray();
        double[] w = want.data();
        for (int i = 0; i < v.length; i++) {
            if (!close(v[i], w[i])) {
                return what + " differs at flat index " + i + ": " + v[i] + ", torch " + w[i]
                        + (v.length <= 12 ? " (ours " + Arrays.toString(v) + ", torch " + Arrays.toString(w) + ")" : "");
            }
        }
        return null;
    }

    static boolean close(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.isNaN(a) && Double.isNaN(b);
        }
        if (Double.isInfinite(a) || Double.isInfinite(b)) {
            return a == b;
        }
        return Math.abs(a - b) <= ATOL + RTOL * Math.abs(b);
    }

    // =====================================================================================================
    // Committed lists

    private static String resource(String name) throws IOException {
        try (InputStream in = OpInfoTest.class.getResourceAsStream(name)) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Entries that fail for a reason being fixed elsewhere: "sample op#i: reason" lines ('#' at the start comments). */
    static Map<String, String> knownFailures() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : resource(KNOWN_FAILURES).split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(": ");
            if (colon < 0) {
                fail("known failure line without ': reason': " + line);
            }
            out.put(line.substring(0, colon), line.substring(colon + 2));
        }
        return out;
    }
}
