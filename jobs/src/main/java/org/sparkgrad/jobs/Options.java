package org.sparkgrad.jobs;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --name value} command-line options with defaults; unknown names are an error that lists the known ones. */
public final class Options {
    private final Map<String, String> values;

    private Options(Map<String, String> values) {
        this.values = values;
    }

    /** Parses args against defaults given as name, value pairs. */
    public static Options parse(String[] args, String... defaults) {
        Map<String, String> v = new LinkedHashMap<>();
        for (int i = 0; i + 1 < defaults.length; i += 2) {
            v.put(defaults[i], defaults[i + 1]);
        }
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("Expected an option like --name value, got '" + a + "'");
            }
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("Option --" + name + " needs a value");
            }
            if (!v.containsKey(name)) {
                throw new IllegalArgumentException("Unknown option --" + name + "; known options: " + v.keySet());
            }
            v.put(name, value);
        }
        return new Options(v);
    }

    /** The value of --name (or its default). */
    public String get(String name) {
        return values.get(name);
    }

    /** The value of --name as a number; a clear error if it is not one. */
    public double getDouble(String name) {
        String s = values.get(name);
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Option --" + name + " expects a number, got '" + s + "'", e);
        }
    }

    /** The value of --name as an integer; a clear error if it is not one. */
    public int getInt(String name) {
        String s = values.get(name);
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Option --" + name + " expects an integer, got '" + s + "'", e);
        }
    }
}
