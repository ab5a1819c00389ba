package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.engine.nn.Linear;
import org.sparkgrad.engine.nn.Sequential;
import org.sparkgrad.engine.optim.Adam;
import org.sparkgrad.engine.optim.OptimizerState;
import org.sparkgrad.engine.optim.ParamGroup;

/** A checkpoint of an optimizer with two parameter groups restores both groups' settings and state. */
class CheckpointParamGroupsTest {
    @Test
    void twoGroupsSurviveACheckpoint() throws Exception {
        Sequential net = new Sequential(new Linear(2, 3), new Linear(3, 1));
        Map<String, Tensor> first = new LinkedHashMap<>();
        Map<String, Tensor> second = new LinkedHashMap<>();
        net.namedParameters().forEach((k, v) -> (k.startsWith("0.") ? first : second).put(k, v));
        Adam opt = new Adam(first, 0.01);
        opt.addParamGroup(new ParamGroup(second).set("lr", 0.001).set("beta1", 0.8).set("weight_decay", 0.1));
        for (int i = 0; i < 2; i++) {
            opt.zeroGrad();
            net.call(Tensor.tensor(new float[] {1, -2, 0.5f, 3}, 2, 2)).pow(2).sum().backward();
            opt.step();
        }
        OptimizerState saved = opt.stateDict();
        Map<String, Tensor> params = new LinkedHashMap<>(net.stateDict());
        CheckpointFormat.Encoded enc = CheckpointFormat.encode(new TrainingState(2, 0, 7, params, saved, List.of(1.0, 0.5)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SafeTensors.write(enc.tensors(), enc.metadata(), bytes);
        byte[] b = bytes.toByteArray();
        TrainingState back = CheckpointFormat.decode(SafeTensors.read(new ByteArrayInputStream(b), b.length, "mem"), 2);

        List<OptimizerState.Group> groups = back.optimizer().paramGroups();
        assertEquals(saved.paramGroups(), groups);
        assertEquals(List.of("1.weight", "1.bias"), groups.get(1).params());
        assertEquals(0.8, groups.get(1).hyper().get("beta1"));
        Sequential other = new Sequential(new Linear(2, 3), new Linear(3, 1));
        Map<String, Tensor> f2 = new LinkedHashMap<>();
        Map<String, Tensor> s2 = new LinkedHashMap<>();
        other.namedParameters().forEach((k, v) -> (k.startsWith("0.") ? f2 : s2).put(k, v));
        Adam resumed = new Adam(f2, 0.5);
        resumed.addParamGroup(new ParamGroup(s2));
        resumed.loadStateDict(back.optimizer());
        assertEquals(0.001, resumed.paramGroups().get(1).getLr());
        assertEquals(0.1, resumed.paramGroups().get(1).get("weight_decay"));
        assertArrayEquals(saved.tensors().get("state.1.weight.exp_avg").toArray(),
                resumed.stateDict().tensors().get("state.1.weight.exp_avg").toArray());
    }
}
