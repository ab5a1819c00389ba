package org.sparkgrad.jobs;

import java.util.Arrays;
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
        program.accept(args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length));
    }

    private static void usage() {
        System.err.println("usage: bin/run <program> [--option value ...]");
        System.err.println("programs: " + String.join(", ", PROGRAMS.keySet()));
    }
}
