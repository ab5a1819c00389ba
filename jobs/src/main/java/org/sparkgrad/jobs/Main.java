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

/** The one launcher of every runnable program: {@code bin/run <name> [--option value ...]}. */
public final class Main {
    private static final Map<String, Consumer<String[]>> PROGRAMS = new LinkedHashMap<>();

    static {
        PROGRAMS.put("autograd-demo", AutogradDemo::main);
        PROGRAMS.put("polynomial", Polynomial::main);
        PROGRAMS.put("descent", Descent::main);
        PROGRAMS.put("manual-vs-autograd", ManualVsAutograd::main);
        PROGRAMS.put("linear-regression", LinearRegression::main);
        PROGRAMS.put("line-fit", LineFit::main);
        PROGRAMS.put("synthetic-mlp", SyntheticMlp::main);
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
        Consumer<String[]> program = PROGRAMS.get(name);
        if (program == null) {
            System.err.println("Unknown program '" + name + "'.");
            usage();
            System.exit(2);
        }
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        program.accept(withConfFile(name, rest));
    }

    /**
     * The program's settings file, {@code <conf dir>/<program>.properties}, as {@code --key value} options
     * placed before the command line's (which therefore win). The conf dir is the system property
     * {@code sparkgrad.conf.dir} (bin/run sets it) or the environment variable SPARKGRAD_CONF_DIR.
     */
    static String[] withConfFile(String name, String[] args) {
        String dir = System.getProperty("sparkgrad.conf.dir", System.getenv("SPARKGRAD_CONF_DIR"));
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
            out.add("--" + key);
            out.add(p.getProperty(key).trim());
        }
        out.addAll(Arrays.asList(args));
        return out.toArray(new String[0]);
    }

    private static void usage() {
        System.err.println("usage: bin/run <program> [--option value ...]");
        System.err.println("programs: " + String.join(", ", PROGRAMS.keySet()));
    }
}
