"""Records the torch 1.13 reference values of the engine's layers (issue 11).

Run with Debian's torch:  /usr/bin/python3 engine/src/test/python/record_layers.py
It rewrites engine/src/test/resources/refdata/layers.json. Every case is float64; inputs, parameters and the
gradient given to backward are drawn here and recorded, so the Java test rebuilds the same tensors.
Each case: "tensors" (name -> {shape, values}: inputs, parameters, "grad_output"), "options", "output",
"grad_fn", "grads" (name -> values) and, for batch norm, "after" (buffer name -> values after the calls).
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'resources', 'refdata', 'layers.json')
torch.manual_seed(11)
D = torch.float64


def rnd(*shape):
    return torch.randn(*shape, dtype=D)


def rec(t):
    return {'shape': list(t.shape), 'values': t.detach().flatten().tolist()}


def case(fn, tensors, options=None):
    """fn(**leaves) -> out; every floating tensor is a leaf requiring grad; backward with a random grad_output."""
    leaves = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v.clone()) for k, v in tensors.items()}
    out = fn(**leaves)
    g = rnd(*out.shape)
    out.backward(g)
    tens = {k: rec(v) for k, v in tensors.items()}
    tens['grad_output'] = rec(g)
    return {'tensors': tens, 'options': options or {}, 'output': rec(out),
            'grad_fn': type(out.grad_fn).__name__,
            'grads': {k: (v.grad.flatten().tolist() if v.grad is not None else None)
                      for k, v in leaves.items() if v.is_floating_point()}}


cases = {}
x = rnd(3, 5)
x[0, 0] = 0.0
x[1, 1] = 4.5
x[2, 2] = -3.2
cases['gelu_none'] = case(lambda x: F.gelu(x), {'x': x})
cases['gelu_tanh'] = case(lambda x: F.gelu(x, approximate='tanh'), {'x': x})
cases['leaky_relu_0.2'] = case(lambda x: F.leaky_relu(x, 0.2), {'x': x})
cases['softmax_dim0'] = case(lambda x: torch.nn.Softmax(dim=0)(x), {'x': x})


def batch_norm_case(make, shapes, eval_after=True):
    """Two training calls (then one eval call when eval_after) of a fresh module with given weight/bias."""
    bn = make().double()
    ts = {'x%d' % i: rnd(*s) for i, s in enumerate(shapes)}
    if bn.affine:
        ts['weight'] = rnd(bn.num_features)
        ts['bias'] = rnd(bn.num_features)
        with torch.no_grad():
            bn.weight.copy_(ts['weight'])
            bn.bias.copy_(ts['bias'])
    leaves = {k: v.clone().requires_grad_(True) for k, v in ts.items() if k.startswith('x')}
    outs = []
    gs = []
    for i in range(len(shapes)):
        if eval_after and i == len(shapes) - 1:
            bn.eval()
        out = bn(leaves['x%d' % i])
        g = rnd(*out.shape)
        out.backward(g)
        outs.append(rec(out))
        gs.append(rec(g))
    tens = {k: rec(v) for k, v in ts.items()}
    for i, g in enumerate(gs):
        tens['grad_output%d' % i] = g
    grads = {k: v.grad.flatten().tolist() for k, v in leaves.items()}
    if bn.affine:
        grads['weight'] = bn.weight.grad.flatten().tolist()
        grads['bias'] = bn.bias.grad.flatten().tolist()
    return {'tensors': tens, 'outputs': outs, 'grad_fn': type(out.grad_fn).__name__, 'grads': grads,
            'after': {k: v.flatten().tolist() for k, v in bn.state_dict().items()},
            'state_keys': list(bn.state_dict().keys())}


cases['batch_norm1d_2d'] = batch_norm_case(lambda: torch.nn.BatchNorm1d(3), [(6, 3), (5, 3), (4, 3)])
cases['batch_norm1d_3d'] = batch_norm_case(lambda: torch.nn.BatchNorm1d(3, eps=1e-3, momentum=0.3),
                                           [(4, 3, 5), (2, 3, 4), (3, 3, 2)])
cases['batch_norm2d_cumulative'] = batch_norm_case(lambda: torch.nn.BatchNorm2d(2, momentum=None),
                                                   [(3, 2, 3, 4), (2, 2, 2, 3), (2, 2, 3, 3)])
cases['batch_norm2d_plain'] = batch_norm_case(
    lambda: torch.nn.BatchNorm2d(2, affine=False, track_running_stats=False), [(3, 2, 2, 3), (2, 2, 3, 2)])


def conv_case(xs, ws, bias, **opts):
    ts = {'x': rnd(*xs), 'weight': rnd(*ws)}
    if bias:
        ts['bias'] = rnd(ws[0])
    return case(lambda x, weight, bias=None: F.conv2d(x, weight, bias, **opts), ts, opts)


cases['conv_pad1'] = conv_case((2, 3, 6, 5), (4, 3, 3, 3), True, stride=1, padding=1)
cases['conv_stride_dilation'] = conv_case((2, 2, 7, 8), (3, 2, 2, 3), True, stride=(2, 1), padding=(1, 2),
                                          dilation=(2, 1))
cases['conv_groups'] = conv_case((2, 4, 5, 5), (6, 2, 3, 3), False, stride=2, groups=2)
cases['conv_unbatched'] = conv_case((2, 4, 4), (3, 2, 1, 2), True, stride=(1, 2))

xp = rnd(2, 3, 7, 6)
xp[0, 0, 0, 0] = xp[0, 0, 0, 1] = 5.0  # a tie: the first maximum gets the gradient
cases['max_pool_k3s2p1'] = case(lambda x: F.max_pool2d(x, 3, 2, 1), {'x': xp},
                                {'kernel_size': 3, 'stride': 2, 'padding': 1})
cases['max_pool_dilation_ceil'] = case(lambda x: F.max_pool2d(x, (2, 3), (2, 2), (1, 1), (2, 1), ceil_mode=True),
                                       {'x': xp}, {'kernel_size': [2, 3], 'stride': [2, 2], 'padding': [1, 1],
                                                   'dilation': [2, 1], 'ceil_mode': True})
cases['avg_pool_include_pad'] = case(lambda x: F.avg_pool2d(x, 3, 2, 1), {'x': xp},
                                     {'kernel_size': 3, 'stride': 2, 'padding': 1, 'count_include_pad': True})
cases['avg_pool_exclude_pad_ceil'] = case(
    lambda x: F.avg_pool2d(x, (3, 2), (2, 3), (1, 1), ceil_mode=True, count_include_pad=False), {'x': xp},
    {'kernel_size': [3, 2], 'stride': [2, 3], 'padding': [1, 1], 'ceil_mode': True, 'count_include_pad': False})
cases['adaptive_avg_3x2'] = case(lambda x: F.adaptive_avg_pool2d(x, (3, 2)), {'x': xp}, {'output_size': [3, 2]})
cases['adaptive_avg_4x4'] = case(lambda x: F.adaptive_avg_pool2d(x, 4), {'x': xp}, {'output_size': [4, 4]})

idx = torch.tensor([[0, 2, 5], [2, 2, 1]])
cases['embedding_padding'] = case(lambda idx, weight: F.embedding(idx, weight, padding_idx=2),
                                  {'idx': idx, 'weight': rnd(6, 3)}, {'padding_idx': 2})
cases['embedding_plain'] = case(lambda idx, weight: F.embedding(idx, weight), {'idx': idx, 'weight': rnd(6, 3)})
cases['layer_norm_affine'] = case(lambda x, weight, bias: F.layer_norm(x, (4, 5), weight, bias, 1e-5),
                                  {'x': rnd(3, 4, 5), 'weight': rnd(4, 5), 'bias': rnd(4, 5)},
                                  {'normalized_shape': [4, 5], 'eps': 1e-5})
cases['layer_norm_plain'] = case(lambda x: F.layer_norm(x, (5,), eps=1e-3), {'x': rnd(2, 3, 5)},
                                 {'normalized_shape': [5], 'eps': 1e-3})

# state-dict names of every layer, as PyTorch writes them
names = {
    'Conv2d': list(torch.nn.Conv2d(2, 3, 3).state_dict().keys()),
    'Conv2d_nobias': list(torch.nn.Conv2d(2, 3, 3, bias=False).state_dict().keys()),
    'BatchNorm2d': list(torch.nn.BatchNorm2d(3).state_dict().keys()),
    'BatchNorm1d_untracked': list(torch.nn.BatchNorm1d(3, track_running_stats=False).state_dict().keys()),
    'BatchNorm1d_not_affine': list(torch.nn.BatchNorm1d(3, affine=False).state_dict().keys()),
    'LayerNorm': list(torch.nn.LayerNorm(4).state_dict().keys()),
    'Embedding': list(torch.nn.Embedding(4, 2).state_dict().keys()),
}
with open(OUT, 'w') as f:
    json.dump({'torch_version': torch.__version__, 'cases': cases, 'state_dict_names': names}, f, indent=None)
    f.write('\n')
print('wrote', OUT, len(cases), 'cases')
