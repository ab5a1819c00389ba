package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The one option parser: exact integers, values checked when parsed, flags bare or true/false. */
class OptionsTest {
    /** The message of the BadOption that running the parse throws. */
    private static String rejected(Executable parse) {
        return assertThrows(Options.BadOption.class, parse).getMessage();
    }

    @Test
    void seedsAreParsedAsExactLongs() {
        // Before: (long) getDouble("seed") turned 2^53 + 1 into 2^53.
        long big = 9007199254740993L;
        assertEquals(big, SparkLinearRegression.Settings.parse("--seed", "9007199254740993").seed());
        assertEquals(big, SyntheticMlp.Settings.parse("--seed", "9007199254740993").seed());
        assertEquals(big, ManualVsAutograd.Settings.from(ManualVsAutograd.Settings.OPTIONS.parse("--seed=9007199254740993"))
                .seed());
        assertEquals(big, LineFit.Job.from(LineFit.Job.OPTIONS.parse("--seed", "9007199254740993")).seed());
        assertEquals(Long.MIN_VALUE, SyntheticMlp.Settings.parse("--seed", "-9223372036854775808").seed());
        assertEquals(12_000_000_000L, SyntheticMlp.Settings.parse("--rows", "12000000000").rows());
    }

    @Test
    void theSparkProgramsTakeTheTrainersStepMode() {
        assertEquals("auto", SyntheticMlp.Settings.parse().stepMode());
        assertEquals("jobs", SyntheticMlp.Settings.parse("--step-mode", "jobs").stepMode());
        assertEquals("auto", SparkLinearRegression.Settings.parse().stepMode());
        assertEquals("barrier", SparkLinearRegression.Settings.parse("--step-mode=barrier").stepMode());
        assertEquals("Option --step-mode expects one of auto|barrier|jobs, got 'fast'",
                rejected(() -> SyntheticMlp.Settings.parse("--step-mode", "fast")));
    }

    @Test
    void integersMustBeIntegers() {
        // Before: --seed 1.7 was truncated to 1.
        assertEquals("Option --seed expects an integer, got '1.7'",
                rejected(() -> SparkLinearRegression.Settings.parse("--seed", "1.7")));
        assertEquals("Option --seed expects an integer, got '9223372036854775808'",
                rejected(() -> SyntheticMlp.Settings.parse("--seed", "9223372036854775808")));
        assertEquals("Option --epochs expects an integer >= 1, got '2.5'",
                rejected(() -> SparkLinearRegression.Settings.parse("--epochs", "2.5")));
        assertEquals("Option --batch expects an integer <= 2147483647, got '3000000000'",
                rejected(() -> SparkLinearRegression.Settings.parse("--batch", "3000000000")));
        assertEquals("Option --hidden expects comma-separated integers >= 1, empty for none, got '64,x'",
                rejected(() -> SyntheticMlp.Settings.parse("--hidden", "64,x")));
        assertEquals("Option --hidden expects comma-separated integers >= 1, empty for none, got '64,0'",
                rejected(() -> SyntheticMlp.Settings.parse("--hidden", "64,0")));
        assertArrayEquals(new int[0], SyntheticMlp.Settings.parse("--hidden", "").hidden());
        assertArrayEquals(new int[] {8, 4}, SyntheticMlp.Settings.parse("--hidden", "8, 4").hidden());
    }

    @Test
    void countsThatMustBePositiveAreCheckedWhenParsed() {
        // Before: --batch 0 ended in ArithmeticException: / by zero, --log-every -1 was accepted, --heldout 0
        // printed "mse NaN".
        assertEquals("Option --batch expects an integer >= 1, got '0'",
                rejected(() -> SparkLinearRegression.Settings.parse("--batch", "0")));
        assertEquals("Option --log-every expects an integer >= 0, got '-1'",
                rejected(() -> SyntheticMlp.Settings.parse("--log-every", "-1")));
        assertEquals("Option --heldout expects an integer >= 1, got '0'",
                rejected(() -> SyntheticMlp.Settings.parse("--heldout", "0")));
        assertEquals("Option --every expects an integer >= 1, got '0'",
                rejected(() -> ManualVsAutograd.Settings.OPTIONS.parse("--every", "0")));
        assertEquals("Option --partitions expects an integer >= 1, got '0'",
                rejected(() -> LineFit.Job.OPTIONS.parse("--partitions", "0")));
        assertEquals("Option --checkpoint-every expects an integer >= 1, got '0'",
                rejected(() -> SparkLinearRegression.Settings.parse("--checkpoint-every", "0")));
        assertEquals("Option --classes expects an integer >= 2 with --classify, got '1'",
                rejected(() -> SyntheticMlp.Settings.parse("--classify", "--classes", "1")));
        assertEquals(0, SyntheticMlp.Settings.parse("--log-every", "0").logEvery(), "0: never");
    }

    @Test
    void numbersMustBeFiniteAndInRange() {
        assertEquals("Option --lr expects a number > 0, got 'NaN'",
                rejected(() -> SparkLinearRegression.Settings.parse("--lr", "NaN")));
        assertEquals("Option --lr expects a number > 0, got 'Infinity'",
                rejected(() -> SparkLinearRegression.Settings.parse("--lr", "Infinity")));
        assertEquals("Option --lr expects a number > 0, got '-0.1'",
                rejected(() -> SparkLinearRegression.Settings.parse("--lr", "-0.1")));
        assertEquals("Option --noise expects a number >= 0, got 'loud'",
                rejected(() -> SparkLinearRegression.Settings.parse("--noise", "loud")));
        assertEquals("Option --beta2 expects a number in [0, 1), got '1'",
                rejected(() -> LineFit.Job.OPTIONS.parse("--beta2", "1")));
        assertEquals("Option --lr expects auto (adam 0.3, sgd 0.000000001) or a number > 0, got 'fast'",
                rejected(() -> LineFit.Job.OPTIONS.parse("--lr", "fast")));
        assertEquals("Option --x0 expects a finite number, got '-Infinity'",
                rejected(() -> Descent.Settings.OPTIONS.parse("--x0", "-Infinity")));
        assertEquals(-3.0, Descent.Settings.from(Descent.Settings.OPTIONS.parse("--x0", "-3")).x0(), "a negative value");
        assertEquals(LineFit.defaultLr("sgd"), LineFit.Job.from(LineFit.Job.OPTIONS.parse("--optimizer", "sgd")).train().lr());
    }

    @Test
    void devicesAndChoicesAreCheckedWhenParsed() {
        // Before: --device foo failed only inside the Spark tasks.
        assertEquals("Option --device expects one of auto|cpu|cuda|cuda:N, got 'foo'",
                rejected(() -> SparkLinearRegression.Settings.parse("--device", "foo")));
        assertEquals("Option --device expects one of auto|cpu|cuda|cuda:N, got 'cuda:x'",
                rejected(() -> SyntheticMlp.Settings.parse("--device", "cuda:x")));
        for (String ok : new String[] {"auto", "cpu", "cuda", "cuda:1", "CUDA:0"}) {
            assertEquals(ok.toLowerCase(java.util.Locale.ROOT), SparkLinearRegression.Settings.parse("--device", ok).device());
        }
        assertEquals("Option --optimizer expects one of adam|sgd, got 'rmsprop'",
                rejected(() -> SyntheticMlp.Settings.parse("--optimizer", "rmsprop")));
        assertEquals("Option --schedule expects one of none|step|exp|cosine, got 'linear'",
                rejected(() -> LineFit.Job.OPTIONS.parse("--schedule", "linear")));
    }

    @Test
    void flagsAreBareOrTrueOrFalse() {
        assertTrue(SparkLinearRegression.Settings.parse("--verify-gradients").verifyGradients());
        assertTrue(SparkLinearRegression.Settings.parse("--verify-gradients=true").verifyGradients());
        assertFalse(SparkLinearRegression.Settings.parse("--verify-gradients", "false").verifyGradients());
        assertFalse(SparkLinearRegression.Settings.parse("--verify-gradients", "--verify-gradients=false")
                .verifyGradients(), "the later value wins");
        SparkLinearRegression.Settings s = SparkLinearRegression.Settings.parse("--resume", "--checkpoint-dir", "/tmp/c",
                "--epochs", "2");
        assertTrue(s.resume());
        assertEquals(2, s.epochs());
        assertEquals("Option --resume is a flag: give --resume or --resume=true|false, got 'yes'",
                rejected(() -> SparkLinearRegression.Settings.parse("--resume=yes")));
        assertEquals("--resume needs --checkpoint-dir (the folder of the checkpoints)",
                rejected(() -> SparkLinearRegression.Settings.parse("--resume")));
        assertNull(SparkLinearRegression.Settings.parse().checkpointDir());
    }

    @Test
    void theOneMachineLoopRefusesTheSparkRunsOptions() {
        LinearRegression.Settings s = (LinearRegression.Settings) LinearRegression.settings(
                LinearRegression.OPTIONS.parse("--no-spark", "--epochs", "2", "--seed", "5"));
        assertEquals(2, s.epochs());
        assertEquals(5, s.seed());
        assertEquals("Option --partitions applies to the Spark run only, not with --no-spark",
                rejected(() -> LinearRegression.settings(LinearRegression.OPTIONS.parse("--partitions", "2", "--no-spark"))));
        assertTrue(LinearRegression.settings(LinearRegression.OPTIONS.parse("--partitions", "2"))
                instanceof SparkLinearRegression.Settings);
    }

    @Test
    void badCommandLinesNameWhatIsWrong() {
        Options.Spec spec = new Options.Spec("test").number("lr", 0.1, Options.Range.POSITIVE, "rate");
        assertEquals("Unknown option --lrr; known options: [lr]", rejected(() -> spec.parse("--lrr", "0.1")));
        assertEquals("Option --lr needs a value", rejected(() -> spec.parse("--lr")));
        assertEquals("Expected an option like --name value, got '0.1'", rejected(() -> spec.parse("0.1")));
        assertEquals(0.2, spec.parse("--lr=0.2").number("lr"));
        Options.HelpRequested help = assertThrows(Options.HelpRequested.class, () -> spec.parse("--lr", "0.2", "-h"));
        assertTrue(help.getMessage().contains("  --lr X") && help.getMessage().contains("rate (a number > 0; default 0.1)"),
                help.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new Options.Spec("test").intOption("n", 0, 1, "a count"), "a default must keep its own rule");
    }
}
