package org.sparkgrad.jobs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The parsed options of one program, checked against its {@link Spec}: every value is converted and validated
 * when the command line is parsed, so a bad one fails before anything runs, with the option and the value in
 * the message.
 *
 * <p>The command line is {@code --name value} or {@code --name=value}; a flag is bare ({@code --resume}) or
 * {@code --resume=true|false}. {@code --help} (or {@code -h}) anywhere throws {@link HelpRequested} with the
 * program's options and their defaults. A later value wins, which is how a settings file's values (given
 * first, as {@code --key=value}: see {@link Main}) yield to the command line's.
 */
public final class Options {
    private final Map<String, Object> values;
    private final Set<String> given;

    private Options(Map<String, Object> values, Set<String> given) {
        this.values = values;
        this.given = given;
    }

    /** A bad command line: an unknown option, a missing value, or a value that fails its option's rule. */
    public static final class BadOption extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadOption(String message) {
            super(message);
        }
    }

    /** {@code --help} was asked for; the message is the program's option list. */
    public static final class HelpRequested extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HelpRequested(String help) {
            super(help, null, false, false);
        }
    }

    /** An inclusive or exclusive bound on a number option; NaN bounds are absent. */
    public record Range(double min, boolean minOpen, double max, boolean maxOpen) {
        /** Any finite number. */
        public static final Range FINITE = new Range(Double.NaN, false, Double.NaN, false);
        /** A finite number &gt; 0. */
        public static final Range POSITIVE = new Range(0, true, Double.NaN, false);
        /** A finite number &gt;= 0. */
        public static final Range NON_NEGATIVE = new Range(0, false, Double.NaN, false);
        /** A finite number in [0, 1), such as Adam's betas. */
        public static final Range UNIT_OPEN = new Range(0, false, 1, true);

        boolean contains(double v) {
            return Double.isFinite(v) && (Double.isNaN(min) || (minOpen ? v > min : v >= min))
                    && (Double.isNaN(max) || (maxOpen ? v < max : v <= max));
        }

        String describe() {
            if (Double.isNaN(min) && Double.isNaN(max)) {
                return "a finite number";
            }
            if (Double.isNaN(max)) {
                return "a number " + (minOpen ? "> " : ">= ") + plain(min);
            }
            return "a number in " + (minOpen ? "(" : "[") + plain(min) + ", " + plain(max) + (maxOpen ? ")" : "]");
        }
    }

    /** One declared option: how its text becomes a value, the rule it states, and its default. */
    private record Option(String name, String metavar, String help, String rule, String defaultText,
            Function<String, Object> parser, boolean flag, String shownDefault) {
        Option(String name, String metavar, String help, String rule, String defaultText,
                Function<String, Object> parser, boolean flag) {
            this(name, metavar, help, rule, defaultText, parser, flag,
                    flag || defaultText == null ? null : defaultText.isEmpty() ? "none" : defaultText);
        }

        Object parse(String text) {
            return parser.apply(text);
        }
    }

    /** The options a program knows, in the order --help lists them. */
    public static final class Spec {
        private final String usage;
        private final Map<String, Option> options = new LinkedHashMap<>();

        /** usage is the help's first line's command, e.g. {@code bin/run linear-regression}. */
        public Spec(String usage) {
            this.usage = usage;
        }

        private Spec add(Option o) {
            if (options.putIfAbsent(o.name(), o) != null) {
                throw new IllegalStateException("option --" + o.name() + " declared twice");
            }
            // Parsing the default checks that it keeps the option's own rule.
            if (o.defaultText() != null) {
                o.parse(o.defaultText());
            }
            return this;
        }

        /** A flag, off unless given. */
        public Spec flag(String name, String help) {
            return add(new Option(name, null, help, "a flag", "false", t -> parseFlag(name, t), true));
        }

        /** Free text. */
        public Spec text(String name, String def, String help) {
            return add(new Option(name, "TEXT", help, null, def, t -> t, false));
        }

        /** One of the allowed words. */
        public Spec choice(String name, String def, String help, String... allowed) {
            List<String> words = List.of(allowed);
            String rule = "one of " + String.join("|", words);
            return add(new Option(name, String.join("|", words), help, rule, def, t -> {
                if (!words.contains(t)) {
                    throw bad(name, rule, t);
                }
                return t;
            }, false));
        }

        /** An integer (a Java long, parsed exactly) &gt;= min. */
        public Spec integer(String name, long def, long min, String help) {
            return integer(name, Long.toString(def), min, Long.MAX_VALUE, help);
        }

        /** An integer that fits a Java int, &gt;= min. */
        public Spec intOption(String name, int def, int min, String help) {
            return integer(name, Integer.toString(def), min, Integer.MAX_VALUE, help);
        }

        /** An int &gt;= min with no default (the program picks one, as defaultText says). */
        public Spec optionalInt(String name, int min, String defaultText, String help) {
            String rule = integerRule(min);
            return add(new Option(name, "N", help, rule, null, t -> parseInteger(name, t, min, Integer.MAX_VALUE, rule),
                    false, defaultText));
        }

        private Spec integer(String name, String def, long min, long max, String help) {
            String rule = integerRule(min);
            return add(new Option(name, "N", help, rule, def, t -> parseInteger(name, t, min, max, rule), false));
        }

        /** A finite number in range. */
        public Spec number(String name, double def, Range range, String help) {
            String rule = range.describe();
            return add(new Option(name, "X", help, rule, plain(def), t -> parseNumber(name, t, range, rule), false));
        }

        /** {@code auto} (the program's choice, as autoText says) or a finite number in range. */
        public Spec numberOrAuto(String name, Range range, String autoText, String help) {
            String rule = "auto (" + autoText + ") or " + range.describe();
            return add(new Option(name, "X|auto", help, rule, "auto",
                    t -> t.equals("auto") ? "auto" : parseNumber(name, t, range, rule), false));
        }

        /** Comma-separated integers &gt;= min, e.g. {@code 64,64}; empty for none. */
        public Spec intList(String name, String def, int min, String help) {
            String rule = "comma-separated integers >= " + min + ", empty for none";
            return add(new Option(name, "N,N,...", help, rule, def, t -> {
                if (t.isBlank()) {
                    return new int[0];
                }
                try {
                    return Arrays.stream(t.split(",", -1)).mapToInt(
                            part -> (int) parseInteger(name, part.trim(), min, Integer.MAX_VALUE, rule)).toArray();
                } catch (BadOption e) {
                    throw bad(name, rule, t);
                }
            }, false));
        }

        /**
         * A compute device: {@code cpu}, {@code cuda} or {@code cuda:N}, and {@code auto} (a usable GPU, else
         * the CPU) when withAuto.
         */
        public Spec device(String name, String def, boolean withAuto, String help) {
            String words = (withAuto ? "auto|" : "") + "cpu|cuda|cuda:N";
            Pattern ok = Pattern.compile((withAuto ? "auto|" : "") + "cpu|cuda(:[0-9]{1,6})?");
            return add(new Option(name, words, help, "one of " + words, def, t -> {
                String d = t.trim().toLowerCase(Locale.ROOT);
                if (!ok.matcher(d).matches()) {
                    throw bad(name, "one of " + words, t);
                }
                return d;
            }, false));
        }

        /** Parses args; throws {@link BadOption} for a bad command line and {@link HelpRequested} for --help. */
        public Options parse(String... args) {
            Map<String, Object> values = new LinkedHashMap<>();
            for (Option o : options.values()) {
                values.put(o.name(), o.defaultText() == null ? null : o.parse(o.defaultText()));
            }
            Set<String> given = new HashSet<>();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--help") || a.equals("-h")) {
                    throw new HelpRequested(help());
                }
                if (!a.startsWith("--")) {
                    throw new BadOption("Expected an option like --name value, got '" + a + "'");
                }
                String name = a.substring(2);
                String text = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    text = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                Option o = options.get(name);
                if (o == null) {
                    throw new BadOption("Unknown option --" + name + "; known options: " + options.keySet());
                }
                if (text == null) {
                    if (o.flag()) {
                        // A bare flag; an explicit true/false right after it belongs to it.
                        boolean next = i + 1 < args.length && (args[i + 1].equals("true") || args[i + 1].equals("false"));
                        text = next ? args[++i] : "true";
                    } else if (i + 1 < args.length) {
                        text = args[++i];
                    } else {
                        throw new BadOption("Option --" + name + " needs a value");
                    }
                }
                values.put(name, o.parse(text));
                given.add(name);
            }
            return new Options(values, given);
        }

        /** The usage line and one line per option: its value, what it is, its rule and its default. */
        public String help() {
            StringBuilder sb = new StringBuilder("usage: " + usage + " [--option value ...]  (flags: bare, or --name=true|false)\n");
            for (Option o : options.values()) {
                String left = "  --" + o.name() + (o.metavar() == null ? "" : " " + o.metavar());
                sb.append(String.format(Locale.ROOT, "%-34s ", left)).append(o.help());
                List<String> notes = new ArrayList<>();
                if (o.rule() != null && !o.flag() && !o.rule().equals("one of " + o.metavar())) {
                    notes.add(o.rule());
                }
                if (o.shownDefault() != null) {
                    notes.add("default " + o.shownDefault());
                }
                if (!notes.isEmpty()) {
                    sb.append(" (").append(String.join("; ", notes)).append(')');
                }
                sb.append('\n');
            }
            return sb.toString();
        }

        /** The declared option names, in order. */
        public Set<String> names() {
            return options.keySet();
        }
    }

    /** Whether the option was on the command line (or in the settings file), not just defaulted. */
    public boolean given(String name) {
        return given.contains(name);
    }

    /** A flag's value. */
    public boolean flag(String name) {
        return (Boolean) value(name);
    }

    /** A text, choice or device option's value. */
    public String text(String name) {
        return (String) value(name);
    }

    /** An integer option's value. */
    public long integer(String name) {
        return (Long) value(name);
    }

    /** An int option's value (declared with {@link Spec#intOption} or {@link Spec#optionalInt}), or null when not given. */
    public Integer optionalInt(String name) {
        Object v = value(name);
        return v == null ? null : Math.toIntExact((Long) v);
    }

    /** An int option's value. */
    public int intValue(String name) {
        return Math.toIntExact((Long) value(name));
    }

    /** A number option's value. */
    public double number(String name) {
        return (Double) value(name);
    }

    /** Whether a {@link Spec#numberOrAuto} option is {@code auto}. */
    public boolean isAuto(String name) {
        return "auto".equals(value(name));
    }

    /** An integer list option's values. */
    public int[] ints(String name) {
        return ((int[]) value(name)).clone();
    }

    private Object value(String name) {
        if (!values.containsKey(name)) {
            throw new IllegalArgumentException("no option --" + name + " is declared; declared: " + values.keySet());
        }
        return values.get(name);
    }

    private static boolean parseFlag(String name, String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new BadOption("Option --" + name + " is a flag: give --" + name + " or --" + name
                    + "=true|false, got '" + text + "'");
        };
    }

    private static long parseInteger(String name, String text, long min, long max, String rule) {
        long v;
        try {
            v = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw bad(name, rule, text);
        }
        if (v < min) {
            throw bad(name, rule, text);
        }
        if (v > max) {
            throw bad(name, "an integer <= " + max, text);
        }
        return v;
    }

    private static String integerRule(long min) {
        return min == Long.MIN_VALUE ? "an integer" : "an integer >= " + min;
    }

    private static double parseNumber(String name, String text, Range range, String rule) {
        double v;
        try {
            v = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw bad(name, rule, text);
        }
        if (!range.contains(v)) {
            throw bad(name, rule, text);
        }
        return v;
    }

    private static BadOption bad(String name, String rule, String text) {
        return new BadOption("Option --" + name + " expects " + rule + ", got '" + text + "'");
    }

    /** A finite number as a person writes it: 2 rather than 2.0, 0.0001 rather than 1.0E-4. */
    static String plain(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }
}
