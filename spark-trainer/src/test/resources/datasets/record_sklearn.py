#!/usr/bin/python3
"""Writes iris.csv and wine.csv (scikit-learn's copies of the UCI data sets, with named columns) and records the
accuracy of scikit-learn's MLPClassifier on the validation split that `bin/run train --validation 0.3 --seed 7`
makes, into sklearn-mlp.properties. Run with Debian's python3-sklearn: /usr/bin/python3 record_sklearn.py

The split is the job's (jobs ValidationSplit): row i (0-based, file order) is a validation row iff
u(seed, i) < fraction, u being the top 53 bits of splitmix64(seed + (i + 1) * 0x9E3779B97F4A7C15) over 2^53.
The network and its training mirror the job's options in the acceptance test: one hidden layer of 32 relu units,
adam, lr 0.01, batch 16, no weight decay, features standardized with the training split's mean and std; scikit-learn
runs 200 epochs (max_iter, no early stop), the test's train runs 50.
"""
import csv
import os

import numpy as np
from sklearn.datasets import load_iris, load_wine
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
MASK = (1 << 64) - 1
SEED = 7
FRACTION = 0.3
HIDDEN = (32,)
SKLEARN_SEEDS = range(5)


def u(seed, i):
    z = (seed + (i + 1) * 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    z = z ^ (z >> 31)
    return (z >> 11) * 2.0 ** -53


def write_csv(name, columns, x, labels):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for row, label in zip(x, labels):
            w.writerow([format_number(v) for v in row]
                       + [label])


def format_number(v):
    # the values as scikit-learn's CSV files hold them (e.g. 5.1, 1065)
    s = repr(float(v))
    return s[:-2] if s.endswith(".0") else s


def record(name, data, label_column, label_names, lines):
    x, y = data.data, data.target
    columns = [c.replace(" (cm)", "").replace(" ", "_").replace("/", "_") for c in data.feature_names] + [label_column]
    write_csv(name + ".csv", columns, x, [label_names[t] for t in y])
    val = np.array([u(SEED, i) < FRACTION for i in range(len(y))])
    scaler = StandardScaler().fit(x[~val])
    xt, xv = scaler.transform(x[~val]), scaler.transform(x[val])
    accs = []
    for s in SKLEARN_SEEDS:
        clf = MLPClassifier(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", learning_rate_init=0.01,
                            batch_size=16, max_iter=200, alpha=0.0, random_state=s, tol=0.0, n_iter_no_change=200)
        clf.fit(xt, y[~val])
        accs.append(float((clf.predict(xv) == y[val]).mean()))
    lines.append("# %s: %d rows, %d validation rows; MLPClassifier accuracy over random_state %s: %s"
                 % (name, len(y), val.sum(), list(SKLEARN_SEEDS), ", ".join("%.4f" % a for a in accs)))
    lines.append("%s.rows=%d" % (name, len(y)))
    lines.append("%s.validation_rows=%d" % (name, val.sum()))
    lines.append("%s.sklearn_accuracy=%.6f" % (name, float(np.mean(accs))))


def main():
    import sklearn
    lines = ["# recorded by record_sklearn.py with scikit-learn %s (mean accuracy over the seeds)" % sklearn.__version__]
    record("iris", load_iris(), "species", ["setosa", "versicolor", "virginica"], lines)
    record("wine", load_wine(), "class", ["class_0", "class_1", "class_2"], lines)
    with open(os.path.join(HERE, "sklearn-mlp.properties"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
