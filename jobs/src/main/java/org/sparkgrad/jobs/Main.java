package org.sparkgrad.jobs;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.sparkgrad.spark.SparkgradKryoRegistrator;

/**
 * The one launcher of every runnable program: {@code bin/run <name> [--option value ...]};
 * {@code bin/run <name> --help} lists the program's options with their defaults.
 */
public final class Main {
    /**
     * A runnable program: its entry point, its options, how parsed options become its settings record, and
     * that record's defaults (the one home of the program's default values).
     */
    record Program(Consumer<String[]> main, Options.Spec options, Function<Options, Object> settings, Object defaults) {
    }

    static final Map<String, Program> PROGRAMS = new LinkedHashMap<>();

    static {
        PROGRAMS.put("autograd-demo", new Program(AutogradDemo::main, AutogradDemo.Settings.OPTIONS,
                AutogradDemo.Settings::from, AutogradDemo.Settings.DEFAULTS));
        PROGRAMS.put("polynomial", new Program(Polynomial::main, Polynomial.Settings.OPTIONS, Polynomial.Settings::from,
                Polynomial.Settings.DEFAULTS));
        PROGRAMS.put("descent", new Program(Descent::main, Descent.Settings.OPTIONS, Descent.Settings::from,
                Descent.Settings.DEFAULTS));
        PROGRAMS.put("manual-vs-autograd", new Program(ManualVsAutograd::main, ManualVsAutograd.Settings.OPTIONS,
                ManualVsAutograd.Settings::from, ManualVsAutograd.Settings.DEFAULTS));
        PROGRAMS.put("linear-regression", new Program(LinearRegression::main, LinearRegression.OPTIONS,
                LinearRegression::settings, SparkLinearRegression.Settings.DEFAULTS));
        PROGRAMS.put("line-fit", new Program(LineFit::main, LineFit.Job.OPTIONS, LineFit.Job::from,
                LineFit.Job.DEFAULTS));
        PROGRAMS.put("synthetic-mlp", new Program(SyntheticMlp::main, SyntheticMlp.Settings.OPTIONS,
                SyntheticMlp.Settings::from, SyntheticMlp.Settings.DEFAULTS));
        PROGRAMS.put("train", new Program(Train::main, Train.Settings.OPTIONS, Train.Settings::from,
                Train.Settings.DEFAULTS));
        PROGRAMS.put("predict", new Program(Predict::main, Predict.Settings.OPTIONS, Predict.Settings::from,
                Predict.Settings.DEFAULTS));
        PROGRAMS.put("evaluate", new Program(Evaluate::main, Evaluate.Settings.OPTIONS, Evaluate.Settings::from,
                Evaluate.Settings.DEFAULTS));
    }

    private Main() {
    }

    /** Runs the named program with the remaining arguments; no name runs the main job. */
    public static void main(String[] args) {
        String name = args.length == 0 ? "linear-regression" : args[0];
        if (name.equals("--help") || name.equals("-h") || name.equals("help")) {
            usage();
            return;
        }
        Program program = PROGRAMS.get(name);
        if (program == null) {
            System.err.println("Unknown program '" + name + "'.");
            usage();
            System.exit(2);
        }
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        try {
            program.main().accept(withConfFile(name, rest));
        } catch (Options.HelpRequested help) {
            System.out.print(help.getMessage());
        } catch (Options.BadOption e) {
            System.err.println(name + ": " + e.getMessage());
            System.err.println("(bin/run " + name + " --help lists its options and their defaults)");
            System.exit(2);
        } catch (InputError e) {
            System.err.println(name + ": " + e.getMessage());
            System.exit(1);
        } catch (RuntimeException e) {
            // Kryo's "Class is not registered" from a Spark job, with the setting that fixes it.
            throw SparkgradKryoRegistrator.explain(e);
        }
    }

    /**
     * The program's settings file, {@code <conf dir>/<program>.properties}, as {@code --key=value} options
     * placed before the command line's (which therefore win); a flag is {@code key=true} there. The conf dir
     * is the system property {@code sparkgrad.conf.dir} (bin/run sets it) or the environment variable
     * SPARKGRAD_CONF_DIR.
     */
    static String[] withConfFile(String name, String[] args) {
        String dir = confDir();
        if (dir == null) {
            return args;
        }
        Path file = Path.of(dir, name + ".properties");
        if (!Files.isRegularFile(file)) {
            return args;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the settings file " + file, e);
        }
        List<String> out = new ArrayList<>();
        for (String key : new TreeSet<>(p.stringPropertyNames())) {
            out.add("--" + key + "=" + p.getProperty(key).trim());
        }
        out.addAll(Arrays.asList(args));
        return out.toArray(new String[0]);
    }

    /** The conf dir: the system property sparkgrad.conf.dir, else SPARKGRAD_CONF_DIR; null when neither is set. */
    static String confDir() {
        return System.getProperty("sparkgrad.conf.dir", System.getenv("SPARKGRAD_CONF_DIR"));
    }

    private static void usage() {
        System.err.println("usage: bin/run <program> [--option value ...]   (bin/run <program> --help: its options)");
        System.err.println("programs: " + String.join(", ", PROGRAMS.keySet()));
    }
}
