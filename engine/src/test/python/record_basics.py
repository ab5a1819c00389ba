"""Records the torch 1.13 reference values of the engine's training basics (issue 14).

Run with Debian's torch:  /usr/bin/python3 engine/src/test/python/record_basics.py
It rewrites engine/src/test/resources/refdata/basics.json and refdata/half_floats.safetensors.
Every case uses the problem of Quadratic.java (loss = sum((x @ w + b - y)^2), u never gets a gradient).
"""
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'resources', 'refdata')

W0 = [[0.5, -0.3, 0.8], [0.1, 0.4, -0.6]]
B0 = [0.05, -0.1, 0.2]
X = [[1.0, 2.0], [-0.5, 0.3], [0.7, -1.2], [2.0, 0.1]]
Y = [[1.0, 0.0, -1.0], [0.5, 0.5, 0.5], [-0.3, 0.2, 0.1], [0.0, 1.0, 2.0]]


def problem(dtype):
    w = torch.tensor(W0, dtype=dtype, requires_grad=True)
    b = torch.tensor(B0, dtype=dtype, requires_grad=True)
    u = torch.tensor([1.0, 2.0], dtype=dtype, requires_grad=True)
    x = torch.tensor(X, dtype=dtype)
    y = torch.tensor(Y, dtype=dtype)
    return w, b, u, lambda: ((x @ w + b - y) ** 2).sum()


def train(opt, loss, steps):
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss().backward()
        opt.step()


def values(w, b):
    return w.detach().flatten().tolist() + b.detach().tolist()


def groups_case(make, dtype=torch.float64, steps=5):
    """make(w, b, u) -> optimizer; returns final w, b and the optimizer's param_groups."""
    w, b, u, loss = problem(dtype)
    opt = make(w, b, u)
    train(opt, loss, steps)
    groups = []
    for g in opt.state_dict()['param_groups']:
        groups.append({k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in g.items()
                       if k not in ('foreach', 'maximize', 'capturable', 'differentiable', 'fused')})
    return {'values': values(w, b), 'param_groups': groups,
            'state_keys': {str(i): sorted(s.keys()) for i, s in opt.state_dict()['state'].items()}}


optim = torch.optim
cases = {}
# 1. parameter groups: group 0 = [w], group 1 = [b, u]
cases['sgd_groups'] = groups_case(lambda w, b, u: optim.SGD(
    [{'params': [w]}, {'params': [b, u], 'lr': 0.05, 'momentum': 0.5, 'weight_decay': 0.1, 'nesterov': True}],
    lr=0.02, momentum=0.9))
cases['adam_groups'] = groups_case(lambda w, b, u: optim.Adam(
    [{'params': [w]}, {'params': [b, u], 'lr': 0.05, 'betas': (0.8, 0.99), 'weight_decay': 0.1, 'amsgrad': True}],
    lr=0.01))
cases['adamw_groups'] = groups_case(lambda w, b, u: optim.AdamW(
    [{'params': [w], 'weight_decay': 0.5}, {'params': [b, u], 'lr': 0.02, 'eps': 1e-3}], lr=0.01))
cases['adamw_groups_float32'] = groups_case(lambda w, b, u: optim.AdamW(
    [{'params': [w], 'weight_decay': 0.5}, {'params': [b, u], 'lr': 0.02, 'eps': 1e-3}], lr=0.01), torch.float32)


def add_group_later():
    w, b, u, loss = problem(torch.float64)
    opt = optim.SGD([w], lr=0.02, momentum=0.9)
    for _ in range(2):
        opt.zero_grad(set_to_none=True)
        b.grad = None
        loss().backward()
        opt.step()
    opt.add_param_group({'params': [b], 'lr': 0.05})
    train(opt, loss, 3)
    return {'values': values(w, b)}


cases['sgd_add_param_group'] = add_group_later()


def scheduled_groups():
    """StepLR and LambdaLR (one lambda per group) over two groups: lr of each group after each epoch."""
    makers = {'steplr': lambda o: optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
              'lambdalr': lambda o: optim.lr_scheduler.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1.0 / (e + 1)])}
    out = {}
    for name, make in makers.items():
        w, b, u, loss = problem(torch.float64)
        opt = optim.SGD([{'params': [w]}, {'params': [b], 'lr': 0.5}], lr=0.1)
        sched = make(opt)
        lrs = []
        for _ in range(6):
            lrs.append([g['lr'] for g in opt.param_groups])
            train(opt, loss, 1)
            sched.step()
        out[name] = {'lrs': lrs, 'values': values(w, b)}
    return out


cases['scheduled_groups'] = scheduled_groups()

# 2. RMSprop and Adagrad
rms = {
    'rmsprop_default': lambda p: optim.RMSprop(p),
    'rmsprop_alpha_eps': lambda p: optim.RMSprop(p, lr=0.05, alpha=0.9, eps=1e-3),
    'rmsprop_momentum': lambda p: optim.RMSprop(p, lr=0.01, momentum=0.9),
    'rmsprop_centered': lambda p: optim.RMSprop(p, lr=0.01, centered=True),
    'rmsprop_all': lambda p: optim.RMSprop(p, lr=0.02, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5,
                                           centered=True),
    'adagrad_default': lambda p: optim.Adagrad(p),
    'adagrad_all': lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5,
                                           eps=1e-6),
}
for name, make in rms.items():
    for dtype, suffix in ((torch.float64, ''), (torch.float32, '_float32')):
        cases[name + suffix] = groups_case(lambda w, b, u, make=make: make([w, b, u]), dtype)
cases['rmsprop_groups'] = groups_case(lambda w, b, u: optim.RMSprop(
    [{'params': [w]}, {'params': [b, u], 'lr': 0.05, 'momentum': 0.5, 'centered': True}], lr=0.01, alpha=0.9))
cases['adagrad_groups'] = groups_case(lambda w, b, u: optim.Adagrad(
    [{'params': [w]}, {'params': [b, u], 'lr': 0.05, 'lr_decay': 0.2}], lr=0.1, initial_accumulator_value=0.1))

# 3. schedulers: lr (and momentum) after construction and after each step
def sequence(make_opt, make_sched, epochs, metrics=None, key=None):
    p = torch.zeros(1, requires_grad=True)
    opt = make_opt([p])
    sched = make_sched(opt)
    lrs = [opt.param_groups[0]['lr']]
    moms = [opt.param_groups[0][key] if key else None]
    for e in range(epochs):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[e])
        lrs.append(opt.param_groups[0]['lr'])
        m = opt.param_groups[0][key] if key else None
        moms.append(list(m) if isinstance(m, tuple) else m)
    out = {'lrs': lrs}
    if key:
        out['momentum'] = moms
    return out


sgd = lambda p: optim.SGD(p, lr=0.1, momentum=0.9)
sch = optim.lr_scheduler
PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7999, 0.8, 0.8, 0.8]
scheds = {
    'lambdalr': sequence(sgd, lambda o: sch.LambdaLR(o, lambda e: 0.95 ** e), 10),
    'multisteplr': sequence(sgd, lambda o: sch.MultiStepLR(o, milestones=[2, 5, 5, 8], gamma=0.5), 10),
    'multisteplr_default': sequence(sgd, lambda o: sch.MultiStepLR(o, milestones=[3]), 5),
    'linearlr_default': sequence(sgd, lambda o: sch.LinearLR(o), 8),
    'linearlr_warmup': sequence(sgd, lambda o: sch.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 8),
    'linearlr_decay': sequence(sgd, lambda o: sch.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=3), 6),
    'onecycle_cos': sequence(sgd, lambda o: sch.OneCycleLR(o, max_lr=1.0, total_steps=20), 19, key='momentum'),
    'onecycle_linear_three_phase': sequence(sgd, lambda o: sch.OneCycleLR(
        o, max_lr=0.5, epochs=3, steps_per_epoch=5, pct_start=0.25, anneal_strategy='linear', three_phase=True,
        div_factor=10.0, final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9), 14, key='momentum'),
    'onecycle_no_momentum': sequence(sgd, lambda o: sch.OneCycleLR(o, max_lr=0.3, total_steps=10,
                                                                     cycle_momentum=False), 9, key='momentum'),
    'onecycle_adam': sequence(lambda p: optim.Adam(p, lr=0.1), lambda o: sch.OneCycleLR(o, max_lr=0.01, total_steps=8),
                              7, key='betas'),
    'plateau_min_rel': sequence(sgd, lambda o: sch.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1,
                                                                      min_lr=0.02), 16, metrics=PLATEAU_METRICS),
    'plateau_default': sequence(sgd, lambda o: sch.ReduceLROnPlateau(o, patience=1), 16, metrics=PLATEAU_METRICS),
    'plateau_max_abs': sequence(sgd, lambda o: sch.ReduceLROnPlateau(o, mode='max', threshold_mode='abs',
                                                                      threshold=0.05, patience=1, factor=0.1),
                                16, metrics=[0.1, 0.2, 0.22, 0.24, 0.3, 0.31, 0.32, 0.33, 0.5, 0.5, 0.5, 0.5, 0.5,
                                             0.5, 0.5, 0.5]),
    'plateau_eps': sequence(lambda p: optim.SGD(p, lr=1e-7), lambda o: sch.ReduceLROnPlateau(o, factor=0.5, patience=0),
                            6, metrics=[1, 1, 1, 1, 1, 1]),
    'sequential_warmup_cosine': sequence(sgd, lambda o: sch.SequentialLR(
        o, [sch.LinearLR(o, start_factor=0.1, total_iters=3), sch.CosineAnnealingLR(o, T_max=5)], milestones=[3]), 10),
    'sequential_three': sequence(sgd, lambda o: sch.SequentialLR(
        o, [sch.LinearLR(o, start_factor=0.5, total_iters=2), sch.ExponentialLR(o, gamma=0.9),
            sch.StepLR(o, step_size=2, gamma=0.5)], milestones=[2, 5]), 10),
    'chained_exp_step': sequence(sgd, lambda o: sch.ChainedScheduler(
        [sch.ExponentialLR(o, gamma=0.9), sch.StepLR(o, step_size=3, gamma=0.5)]), 10),
    'chained_warmup_multistep': sequence(sgd, lambda o: sch.ChainedScheduler(
        [sch.LinearLR(o, start_factor=0.2, total_iters=3), sch.MultiStepLR(o, milestones=[4, 6], gamma=0.1)]), 8),
}


def onecycle_overrun():
    p = torch.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    s = sch.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    try:
        for _ in range(4):
            s.step()
    except ValueError as e:
        return str(e)


scheds['onecycle_overrun_error'] = onecycle_overrun()

# 4. gradient clipping
G1 = [[0.3, -1.2, 0.5], [2.0, -0.1, 0.0]]
G2 = [-0.7, 0.25, 1.5, -3.0]


def clip_case(norm, max_norm, dtype=torch.float64, g2=None):
    p1 = torch.zeros(2, 3, dtype=dtype, requires_grad=True)
    p2 = torch.zeros(4, dtype=dtype, requires_grad=True)
    p3 = torch.zeros(2, dtype=dtype, requires_grad=True)  # no grad
    p1.grad = torch.tensor(G1, dtype=dtype)
    p2.grad = torch.tensor(g2 if g2 is not None else G2, dtype=dtype)
    total = torch.nn.utils.clip_grad_norm_([p1, p2, p3], max_norm, norm_type=norm)
    return {'norm_type': norm, 'max_norm': max_norm, 'total_norm': float(total), 'dtype': str(dtype),
            'grads': p1.grad.flatten().tolist() + p2.grad.tolist()}


clips = {
    'l2': clip_case(2.0, 1.0),
    'l2_float32': clip_case(2.0, 1.0, torch.float32),
    'l2_no_clip': clip_case(2.0, 100.0),
    'l1': clip_case(1.0, 2.5),
    'inf': clip_case(math.inf, 0.5),
    'inf_float32': clip_case(math.inf, 0.5, torch.float32),
    'p3': clip_case(3.0, 1.0),
    'p0_5': clip_case(0.5, 10.0),
}


def nonfinite():
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    p.grad = torch.tensor([1.0, math.inf], dtype=torch.float64)
    try:
        torch.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    except RuntimeError as e:
        return str(e)


clips['nonfinite_error'] = nonfinite()


def value_case(clip):
    p1 = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    p2 = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    p1.grad = torch.tensor(G1, dtype=torch.float64)
    p2.grad = torch.tensor(G2, dtype=torch.float64)
    torch.nn.utils.clip_grad_value_([p1, p2], clip)
    return {'clip_value': clip, 'grads': p1.grad.flatten().tolist() + p2.grad.tolist()}


clips['value_0_5'] = value_case(0.5)
clips['value_1_3'] = value_case(1.3)

# 5. module hooks: full backward hook of a Linear(3, 2) inside a model
def hooks():
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], dtype=torch.float64))
        lin.bias.copy_(torch.tensor([0.01, -0.02], dtype=torch.float64))
    seen = {}

    def bw(m, gin, gout):
        seen['grad_input'] = [g.flatten().tolist() if g is not None else None for g in gin]
        seen['grad_output'] = [g.flatten().tolist() for g in gout]

    lin.register_full_backward_hook(bw)
    x = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], dtype=torch.float64, requires_grad=True)
    out = lin(x)
    (out.tanh() * torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)).sum().backward()
    seen['x_grad'] = x.grad.flatten().tolist()
    seen['weight_grad'] = lin.weight.grad.flatten().tolist()
    ml = torch.nn.Sequential(torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1)]))
    md = torch.nn.ModuleDict({'enc': torch.nn.Linear(2, 3), 'act': torch.nn.Tanh(), 'dec': torch.nn.Linear(3, 2)})
    seen['modulelist_keys'] = list(ml.state_dict().keys())
    seen['moduledict_keys'] = list(md.state_dict().keys())
    return seen


data = {'torch_version': torch.__version__, 'optim': cases, 'schedulers': scheds, 'clip': clips, 'hooks': hooks()}

# 6. float16 / bfloat16 safetensors, written by hand from torch's own bytes
HALF = [0.0, -0.0, 1.0, -2.5, 1.0 / 3.0, 65504.0, 6.103515625e-05, 5.960464477539063e-08, 1e-05, -3.0e-06,
        math.inf, -math.inf, math.nan, 0.1, 1000.5]
BF16 = [0.0, -0.0, 1.0, -2.5, 1.0 / 3.0, 3.0e38, 1.1754943508222875e-38, 9.183549615799121e-41, 1e-39, -5e-40,
        math.inf, -math.inf, math.nan, 0.1, 1000.5]
tensors = {
    'half': torch.tensor(HALF, dtype=torch.float16).reshape(3, 5),
    'bf16': torch.tensor(BF16, dtype=torch.bfloat16).reshape(5, 3),
    'half_scalar': torch.tensor(-0.333, dtype=torch.float16),
    'float': torch.tensor([1.5, -2.0], dtype=torch.float32),
}
header, blobs, offset = {}, [], 0
for name, t in tensors.items():
    raw = t.contiguous().view(torch.int16 if t.element_size() == 2 else torch.int32).numpy().tobytes()
    code = {torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float32: 'F32'}[t.dtype]
    header[name] = {'dtype': code, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
    blobs.append(raw)
    offset += len(raw)
text = json.dumps(header, separators=(',', ':')).encode('utf-8')
text += b' ' * (-len(text) % 8)
with open(os.path.join(OUT, 'half_floats.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
# the float32 values torch converts them to, as raw bits (exact, NaN included)
data['half_floats'] = {name: {'shape': list(t.shape), 'float32_bits': [
    v & 0xffffffff for v in t.float().flatten().view(torch.int32).tolist()]} for name, t in tensors.items()}

with open(os.path.join(OUT, 'basics.json'), 'w') as f:
    json.dump(data, f, indent=1, sort_keys=False, allow_nan=True)
    f.write('\n')
print('wrote', len(cases), 'optimizer cases,', len(scheds), 'schedules,', len(clips), 'clip cases')
