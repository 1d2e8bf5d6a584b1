#!/usr/bin/python3
"""PyTorch reference of ER-Net (TCER) for the C engine's tests (core/gm-ernet.c).

Spec: /work/shared/specs/tcer-ernet.md sections 2 (network), 3 (DCNv2), 4 (loss).

Writes small fixtures to tests/data/ernet/ (format: tests/data/ernet/README.md):

  params.tsv          ordered parameter list (both configurations) with the
                      deterministic initialisation formula's scale and checksums
  tiny.bin/.tsv       `tiny` configuration (ngf 4), N=3 at 16x16: x, y, train
                      output, loss terms, buffers after the forward, activations,
                      eval output and losses after one Adam step
  tiny_grad.bin/.tsv  `tiny`: the gradient of every parameter (named grad.<name>)
  paper.bin/.tsv      `paper` configuration (ngf 64), N=2 at 52x52: x, y, eval
                      output (fresh buffers), train output, loss, buffers, eval
                      output after the train-mode forward
  dcn.bin/.tsv        a standalone modulated deformable conv (N=2, C=5, O=4, 7x7):
                      input, offset, mask, weight, bias, grad_out, output and the
                      five gradients

All fixture values are computed in float64 from float32 inputs/parameters and
stored as float32 (scalars also as %.17g text in the index).

Needs Debian's python3-torch (1.13) and python3-torchvision (0.14); run with
/usr/bin/python3:

  /usr/bin/python3 tests/reference/ernet_reference.py          # fixtures + checks
  /usr/bin/python3 tests/reference/ernet_reference.py --bench  # CPU step timing
  python3 tests/reference/ernet_reference.py --bench --device cuda [--tf32]
                      # the same step on a GPU (cuDNN; TF32 off unless --tf32),
                      # plus eval-mode inference throughput (scripts/gpu-check.sh)
"""

import argparse
import math
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.ops import deform_conv2d

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "data", "ernet"))

PAPER_PARAMS = 6727031

CONFIGS = {
    # ngf, CA/PA reduction, CBAM reduction
    "paper": dict(ngf=64),
    "tiny": dict(ngf=4),
}

# --------------------------------------------------------------------------
# Network (module tree mirrors models/ERNet.py so that named_parameters()
# yields the checkpoint's state-dict names, in the checkpoint's order).
# --------------------------------------------------------------------------


def isqrt_newton_schulz(A, n_iter):
    """Coupled Newton-Schulz, spec 2.3 step 4."""
    dim = A.shape[0]
    s = A.norm()  # Frobenius
    Y = A / s
    I = torch.eye(dim, dtype=A.dtype, device=A.device)
    Z = torch.eye(dim, dtype=A.dtype, device=A.device)
    for _ in range(n_iter):
        T = 0.5 * (3.0 * I - Z @ Y)
        Y = Y @ T
        Z = T @ Z
    return Z / torch.sqrt(s)


class FastDeconv(nn.Module):
    """Whitened 3x3 conv, 1 -> 1 channel, block 1 (spec 2.3)."""

    def __init__(self, eps=1e-5, n_iter=5, momentum=0.1, sampling_stride=3):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(1, 1, 3, 3))
        self.bias = nn.Parameter(torch.empty(1))
        self.eps = eps
        self.n_iter = n_iter
        self.momentum = momentum
        self.sampling_stride = sampling_stride
        self.num_features = 9
        self.register_buffer("running_mean", torch.zeros(9))
        self.register_buffer("running_deconv", torch.eye(9))
        self.last_mean = None
        self.last_D = None
        self.last_cov = None

    def batch_stats(self, x):
        # patches: 3x3, zero pad 1, stride 3; rows = N*Ph*Pw, cols = 3*i+j
        X = F.unfold(x, 3, 1, 1, self.sampling_stride).transpose(1, 2).reshape(-1, 9)
        mean = X.mean(0)
        Xc = X - mean.unsqueeze(0)
        cov = Xc.t() @ Xc / Xc.shape[0] + self.eps * torch.eye(9, dtype=x.dtype, device=x.device)
        D = isqrt_newton_schulz(cov, self.n_iter)
        return mean, cov, D

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                mean, cov, D = self.batch_stats(x)
            self.last_mean, self.last_cov, self.last_D = mean, cov, D
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(mean * self.momentum)
                self.running_deconv.mul_(1 - self.momentum).add_(D * self.momentum)
        else:
            mean, D = self.running_mean, self.running_deconv
        w = self.weight.view(1, 9) @ D
        b = self.bias - (w @ mean.unsqueeze(1)).view(1)
        return F.conv2d(x, w.view(1, 1, 3, 3), b, 1, 1)


class DCN(nn.Module):
    """DCNv2 'DCN' wrapper: weight, bias, then conv_offset_mask (spec 2.5)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin, 3, 3))
        self.bias = nn.Parameter(torch.empty(cout))
        self.conv_offset_mask = nn.Conv2d(cin, 27, 3, 1, 1, bias=True)

    def forward(self, x):
        om = self.conv_offset_mask(x)
        offset = om[:, :18]
        mask = torch.sigmoid(om[:, 18:])
        return deform_conv2d(x, offset, self.weight, self.bias, stride=1, padding=1,
                             dilation=1, mask=mask)


class CALayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.ca = nn.Sequential(nn.Conv2d(c, c // 8, 1, bias=True), nn.ReLU(),
                                nn.Conv2d(c // 8, c, 1, bias=True), nn.Sigmoid())

    def forward(self, x):
        return x * self.ca(self.avg_pool(x))


class PALayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.pa = nn.Sequential(nn.Conv2d(c, c // 8, 1, bias=True), nn.ReLU(),
                                nn.Conv2d(c // 8, 1, 1, bias=True), nn.Sigmoid())

    def forward(self, x):
        return x * self.pa(x)


class DehazeBlockDCN(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv1 = nn.Conv2d(dim, dim, 3, padding=1, bias=True)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(dim, dim, 3, padding=1, bias=True)
        self.conv3 = DCN(dim, dim)
        self.calayer = CALayer(dim)
        self.palayer = PALayer(dim)

    def forward(self, x):
        r = self.act1(self.conv1(x)) + x
        r = self.conv2(r)
        r = self.conv3(r)
        r = self.calayer(r)
        r = self.palayer(r)
        return r + x


class Flatten(nn.Module):
    def forward(self, x):
        return x.view(x.size(0), -1)


class ChannelGate(nn.Module):
    def __init__(self, c, reduction=16):
        super().__init__()
        h = max(c // reduction, 1)
        self.mlp = nn.Sequential(Flatten(), nn.Linear(c, h), nn.ReLU(), nn.Linear(h, c))

    def forward(self, x):
        avg = F.avg_pool2d(x, (x.size(2), x.size(3)))
        mx = F.max_pool2d(x, (x.size(2), x.size(3)))
        s = self.mlp(avg) + self.mlp(mx)
        return x * torch.sigmoid(s).unsqueeze(2).unsqueeze(3)


class BasicConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, 7, stride=1, padding=3, bias=False)
        self.bn = nn.BatchNorm2d(1, eps=1e-5, momentum=0.01, affine=True)

    def forward(self, x):
        return self.bn(self.conv(x))


class SpatialGate(nn.Module):
    def __init__(self):
        super().__init__()
        self.spatial = BasicConv()

    def forward(self, x):
        comp = torch.cat((torch.max(x, 1)[0].unsqueeze(1), torch.mean(x, 1).unsqueeze(1)), 1)
        return x * torch.sigmoid(self.spatial(comp))


class CBAM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ChannelGate = ChannelGate(c, 16)
        self.SpatialGate = SpatialGate()

    def forward(self, x):
        return self.SpatialGate(self.ChannelGate(x))


class ERNet(nn.Module):
    def __init__(self, ngf=64):
        super().__init__()
        self.down1 = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(1, ngf, 7, padding=0), nn.ReLU())
        self.down2 = nn.Sequential(nn.Conv2d(ngf, ngf * 2, 3, stride=2, padding=1), nn.ReLU())
        self.down3 = nn.Sequential(nn.Conv2d(ngf * 2, ngf * 4, 3, stride=2, padding=1), nn.ReLU())
        self.block_0 = DehazeBlockDCN(ngf * 4)
        self.block_1 = DehazeBlockDCN(ngf * 4)
        self.block_2 = DehazeBlockDCN(ngf * 4)
        self.up1 = nn.Sequential(nn.ConvTranspose2d(ngf * 8, ngf * 2, 3, stride=2, padding=1,
                                                    output_padding=1), nn.ReLU())
        self.up2 = nn.Sequential(nn.ConvTranspose2d(ngf * 4, ngf, 3, stride=2, padding=1,
                                                    output_padding=1), nn.ReLU())
        self.up3 = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(ngf, 1, 7, padding=0), nn.Tanh())
        self.deconv = FastDeconv()
        self.fusion1 = CBAM(ngf * 8)
        self.fusion2 = CBAM(ngf * 4)
        self.acts = None  # filled by forward(record=True)

    def forward(self, x, record=False):
        p = self.deconv(x)
        d1 = self.down1(p)
        d2 = self.down2(d1)
        d3 = self.down3(d2)
        b0 = self.block_0(d3)
        b1 = self.block_1(b0)
        b2 = self.block_2(b1)
        m1 = self.fusion1(torch.cat([b2, d3], 1))
        u1 = self.up1(m1)
        m2 = self.fusion2(torch.cat([u1, d2], 1))
        u2 = self.up2(m2)
        out = self.up3(u2)
        if record:
            self.acts = dict(pre=p, d1=d1, d2=d2, d3=d3, b0=b0, b1=b1, b2=b2, m1=m1,
                             u1=u1, m2=m2, u2=u2)
        return out


def ernet_loss(out, y):
    """Spec 4: L = mean|out-y| + 0.02 * mean L1 of Re/Im of full fft2."""
    l_sp = F.l1_loss(out, y)
    fo = torch.view_as_real(torch.fft.fft2(out, norm="backward"))
    fy = torch.view_as_real(torch.fft.fft2(y, norm="backward"))
    l_f = F.l1_loss(fo, fy)
    return l_sp + 0.02 * l_f, l_sp, l_f


# --------------------------------------------------------------------------
# Deterministic parameter formula (shared with the C side).
# --------------------------------------------------------------------------


def param_plan(model):
    """[(k, name, param, kind, scale, fan_in)] in named_parameters() order."""
    owner = {}
    for mname, mod in model.named_modules():
        for pname, p in mod.named_parameters(recurse=False):
            owner[(mname + "." if mname else "") + pname] = (mod, pname)
    plan = []
    for k, (name, p) in enumerate(model.named_parameters()):
        mod, pname = owner[name]
        w = mod.weight
        if isinstance(mod, nn.ConvTranspose2d):
            fan_in = w.shape[1] * w.shape[2] * w.shape[3]
        else:
            fan_in = w.numel() // w.shape[0]
        if isinstance(mod, nn.BatchNorm2d):
            kind = "bn_weight" if pname == "weight" else "bn_bias"
            scale = 0.1
            fan_in = 0
        elif isinstance(mod, FastDeconv):
            kind, scale = "deconv", 1.0 / 3.0
        elif name.split(".")[-2] == "conv_offset_mask":
            kind, scale = "offset_mask", 0.5 / math.sqrt(fan_in)
        else:
            kind, scale = "uniform", 1.0 / math.sqrt(fan_in)
        plan.append((k, name, p, kind, scale, fan_in))
    return plan


def formula_values(k, numel, kind, scale):
    e = np.arange(numel, dtype=np.float64)
    s = np.sin(0.7 * e + 1.3 * k + 0.1)
    if kind == "bn_weight":
        v = 1.0 + 0.1 * s
    elif kind == "bn_bias":
        v = 0.1 * s
    else:
        v = scale * s
    return v.astype(np.float32)


def init_params(model):
    plan = param_plan(model)
    with torch.no_grad():
        for k, name, p, kind, scale, fan_in in plan:
            v = formula_values(k, p.numel(), kind, scale).reshape(tuple(p.shape))
            p.copy_(torch.from_numpy(v).to(p.dtype))
        for name, b in model.named_buffers():
            if name.endswith("running_deconv"):
                b.copy_(torch.eye(b.shape[0], dtype=b.dtype))
            elif name.endswith("running_mean"):
                b.zero_()
            elif name.endswith("running_var"):
                b.fill_(1.0)
            elif name.endswith("num_batches_tracked"):
                b.zero_()
    return plan


def build(config, dtype):
    torch.manual_seed(0)  # irrelevant: every value is overwritten below
    m = ERNet(**CONFIGS[config]).to(dtype)
    plan = init_params(m)
    return m, plan


# --------------------------------------------------------------------------
# Deterministic inputs (spec 1.4)
# --------------------------------------------------------------------------


def make_batch(seed, n, s, t, density=0.3):
    """x: observed nonzeros with fresh dropouts -> 0.999, zeros -> 0.999, padded
    with 0.999 at offset (t-s)//2; y: observed values, zeros kept, padded with 0."""
    rng = np.random.RandomState(seed)
    xs = np.full((n, 1, t, t), 0.999, dtype=np.float32)
    ys = np.zeros((n, 1, t, t), dtype=np.float32)
    off = (t - s) // 2
    for i in range(n):
        nz = rng.random_sample((s, s)) < density
        vals = rng.uniform(0.02, 0.98, size=(s, s))
        g = np.where(nz, vals, 0.0).astype(np.float32)
        g = np.clip(g, 0.0, 1.0)
        g0 = np.where(g > 0, g, np.float32(0.999)).astype(np.float32)
        omega = np.flatnonzero(g0.ravel() != np.float32(0.999))
        rho = rng.uniform(0.1, 0.25)
        ndrop = int(math.floor(len(omega) * rho))
        drop = rng.choice(omega, ndrop, replace=False)
        x = g0.copy().ravel()
        x[drop] = 0.999
        xs[i, 0, off:off + s, off:off + s] = x.reshape(s, s)
        ys[i, 0, off:off + s, off:off + s] = g
    return xs, ys


# --------------------------------------------------------------------------
# Fixture writer: <name>.bin (float32 LE arrays back to back) + <name>.tsv
# --------------------------------------------------------------------------


class Fixture:
    def __init__(self, name, header):
        self.name = name
        self.header = header
        self.rows = []
        self.blob = bytearray()

    def add(self, key, arr):
        if isinstance(arr, torch.Tensor):
            arr = arr.detach().cpu().double().numpy()
        a = np.asarray(arr, dtype=np.float64)
        shape = a.shape if a.ndim else (1,)
        f32 = a.astype("<f4").ravel()
        value = "%.17g" % float(a.ravel()[0]) if a.size == 1 else "-"
        self.rows.append((key, "x".join(str(d) for d in shape), len(self.blob), f32.size, value))
        self.blob += f32.tobytes()

    def write(self):
        with open(os.path.join(OUT_DIR, self.name + ".bin"), "wb") as f:
            f.write(bytes(self.blob))
        with open(os.path.join(OUT_DIR, self.name + ".tsv"), "w") as f:
            f.write("# Written by tests/reference/ernet_reference.py; do not edit.\n")
            for line in self.header:
                f.write("# " + line + "\n")
            f.write("# %s.bin: little-endian float32 arrays, row-major, back to back.\n" % self.name)
            f.write("# offset in bytes; count in float32 elements; value = %.17g (float64) for count 1.\n")
            f.write("name\tshape\toffset\tcount\tvalue\n")
            for r in self.rows:
                f.write("%s\t%s\t%d\t%d\t%s\n" % r)
        return len(self.blob)


# --------------------------------------------------------------------------
# From-scratch float64 DCN (spec 3) for the sanity check
# --------------------------------------------------------------------------


def dcn_scratch(x, offset, mask, weight, bias):
    """Direct transcription of spec 3 (stride 1, pad 1, dil 1, G = 1), torch ops
    so that autograd gives reference gradients too."""
    N, C, H, W = x.shape
    O = weight.shape[0]
    Ho, Wo = H, W
    ys = torch.arange(Ho, dtype=x.dtype).view(1, Ho, 1)
    xs = torch.arange(Wo, dtype=x.dtype).view(1, 1, Wo)
    cols = []
    for i in range(3):
        for j in range(3):
            k = 3 * i + j
            py = ys - 1 + i + offset[:, 2 * k]          # N x Ho x Wo
            px = xs - 1 + j + offset[:, 2 * k + 1]
            inr = (py > -1) & (py < H) & (px > -1) & (px < W)
            h0 = torch.floor(py.detach())
            w0 = torch.floor(px.detach())
            lh = py - h0
            lw = px - w0
            val = torch.zeros(N, C, Ho, Wo, dtype=x.dtype)
            for dh, dw, wt in ((0, 0, (1 - lh) * (1 - lw)), (0, 1, (1 - lh) * lw),
                               (1, 0, lh * (1 - lw)), (1, 1, lh * lw)):
                hh = (h0 + dh).long()
                ww = (w0 + dw).long()
                ok = (hh >= 0) & (hh < H) & (ww >= 0) & (ww < W) & inr
                hc = hh.clamp(0, H - 1)
                wc = ww.clamp(0, W - 1)
                idx = (hc * W + wc).view(N, 1, -1).expand(N, C, -1)
                g = torch.gather(x.reshape(N, C, H * W), 2, idx).view(N, C, Ho, Wo)
                val = val + g * (wt * ok.to(x.dtype)).unsqueeze(1)
            cols.append(val * mask[:, k].unsqueeze(1))  # N x C x Ho x Wo
    col = torch.stack(cols, 2)  # N x C x 9 x Ho x Wo ; row index c*9+k
    out = torch.einsum("ock,nckyx->noyx", weight.reshape(O, C, 9), col)
    return out + bias.view(1, O, 1, 1)


def dcn_fixture(checks):
    rng = np.random.RandomState(20240531)
    N, C, O, H, W = 2, 5, 4, 7, 7
    x = rng.uniform(-1, 1, (N, C, H, W)).astype(np.float32)
    off = (1.5 * rng.standard_normal((N, 18, H, W))).astype(np.float32)
    mask = rng.uniform(0, 1, (N, 9, H, W)).astype(np.float32)
    w = (0.3 * rng.standard_normal((O, C, 3, 3))).astype(np.float32)
    b = (0.1 * rng.standard_normal(O)).astype(np.float32)
    go = rng.standard_normal((N, O, H, W)).astype(np.float32)

    def run(fn):
        t = [torch.from_numpy(a).double().requires_grad_(True) for a in (x, off, mask, w, b)]
        out = fn(*t)
        out.backward(torch.from_numpy(go).double())
        return out.detach(), [a.grad for a in t]

    tv_out, tv_g = run(lambda a, o, m, ww, bb: deform_conv2d(a, o, ww, bb, padding=1, mask=m))
    sc_out, sc_g = run(dcn_scratch)
    # out-of-range sample count
    ys = np.arange(H).reshape(1, H, 1)
    xs = np.arange(W).reshape(1, 1, W)
    oor = 0
    for i in range(3):
        for j in range(3):
            k = 3 * i + j
            py = ys - 1 + i + off[:, 2 * k].astype(np.float64)
            px = xs - 1 + j + off[:, 2 * k + 1].astype(np.float64)
            oor += int(np.sum((py <= -1) | (py >= H) | (px <= -1) | (px >= W)))
    total = N * 9 * H * W
    checks.append("dcn fixture: %d of %d sample points out of range" % (oor, total))
    checks.append("dcn torchvision vs from-scratch float64 (spec 3): forward max|diff| = %.3g"
                  % (tv_out - sc_out).abs().max().item())
    for nm, a, bb in zip(("input", "offset", "mask", "weight", "bias"), tv_g, sc_g):
        checks.append("dcn torchvision vs from-scratch float64: grad_%s max|diff| = %.3g"
                      % (nm, (a - bb).abs().max().item()))
    # float32 torchvision vs float64
    t32 = [torch.from_numpy(a).requires_grad_(True) for a in (x, off, mask, w, b)]
    o32 = deform_conv2d(t32[0], t32[1], t32[3], t32[4], padding=1, mask=t32[2])
    o32.backward(torch.from_numpy(go))
    checks.append("dcn float32 torchvision vs float64: forward max|diff| = %.3g, grads max|diff| = %.3g"
                  % ((o32.double() - tv_out).abs().max().item(),
                     max((a.grad.double() - g).abs().max().item() for a, g in zip(t32, tv_g))))

    fx = Fixture("dcn", [
        "Standalone modulated deformable conv (DCNv2, spec 3): N=2 C=5 O=4 H=W=7, 3x3, stride 1,",
        "pad 1, dil 1, 1 deformable group. offset channel 2k = dy, 2k+1 = dx of tap k = 3i+j;",
        "mask = modulation (already in (0,1), no sigmoid). offsets ~ N(0, 1.5^2): %d of %d sample"
        % (oor, total),
        "points out of range. grad_out is the fixed upstream gradient; grad_* = dL/d* with",
        "L = sum(output * grad_out). Computed in float64 (torchvision 0.14 deform_conv2d).",
    ])
    for nm, a in (("input", x), ("offset", off), ("mask", mask), ("weight", w), ("bias", b),
                  ("grad_out", go)):
        fx.add(nm, a)
    fx.add("output", tv_out)
    for nm, g in zip(("input", "offset", "mask", "weight", "bias"), tv_g):
        fx.add("grad_" + nm, g)
    return fx


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


def ns_vs_exact(cov, D):
    ev, V = torch.linalg.eigh(cov.double())
    exact = V @ torch.diag(ev.rsqrt()) @ V.t()
    D = D.double()
    cond = (ev.max() / ev.min()).item()
    return ((D - exact).abs().max().item(),
            (torch.linalg.norm(D - exact) / torch.linalg.norm(exact)).item(), cond)


def buffers(fx, model, prefix=""):
    for name, b in model.named_buffers():
        if name.endswith("num_batches_tracked"):
            continue
        fx.add(prefix + name, b)


def tiny_fixtures(checks):
    x32, y32 = make_batch(1001, 3, 13, 16)
    x = torch.from_numpy(x32).double()
    y = torch.from_numpy(y32).double()
    model, plan = build("tiny", torch.float64)
    model.train()
    out = model(x, record=True)
    loss, l_sp, l_f = ernet_loss(out, y)
    loss.backward()
    dec = model.deconv
    e_abs, e_rel, cond = ns_vs_exact(dec.last_cov, dec.last_D)
    checks.append("tiny whitening: Newton-Schulz(5) D vs exact Sigma^-1/2: max|diff| = %.3g, "
                  "rel Frobenius = %.3g, cond(Sigma) = %.3g" % (e_abs, e_rel, cond))

    fx = Fixture("tiny", [
        "ER-Net config `tiny` (ngf 4: channels 4/8/16, DFA dim 16, CA/PA hidden 2, CBAM hidden",
        "max(C/16,1) = 2 (fusion1, C=32) and 1 (fusion2, C=16)); parameters by the formula of",
        "README.md (order: params.tsv, config tiny). N=3, 16x16 (13x13 map at offset 1).",
        "Sequence: fresh model (running buffers 0 / identity / BN var 1), train mode, forward x",
        "-> out_train, loss (+ l_sp, l_f), backward (grads: tiny_grad.tsv); buffers after that",
        "forward (buf.*); deconv.batch_mean/batch_D/batch_cov: that forward's patch statistics;",
        "act.*: intermediate activations of that forward; then one Adam step (lr 2e-4, betas",
        "0.9/0.999, eps 1e-8, wd 0) -> eval mode forward x -> out_eval_step1, loss_eval_step1;",
        "then train mode forward x again -> loss_train_step1 (buffers updated a 2nd time).",
        "Computed in float64 from the float32 values stored / given by the formula.",
    ])
    fx.add("x", x32)
    fx.add("y", y32)
    fx.add("out_train", out)
    fx.add("loss", loss)
    fx.add("l_sp", l_sp)
    fx.add("l_f", l_f)
    buffers(fx, model, "buf.")
    fx.add("deconv.batch_mean", dec.last_mean)
    fx.add("deconv.batch_D", dec.last_D)
    fx.add("deconv.batch_cov", dec.last_cov)
    for k, v in model.acts.items():
        fx.add("act." + k, v)

    gx = Fixture("tiny_grad", [
        "ER-Net config `tiny`: dL/dparam of the train-mode forward/backward described in",
        "tiny.tsv, one array per parameter in named_parameters() order, named grad.<name>,",
        "in the parameter's PyTorch shape. Computed in float64.",
    ])
    tiny_g = 0
    small = 0
    for k, name, p, kind, scale, fan_in in plan:
        gx.add("grad." + name, p.grad)
        tiny_g += p.grad.numel()
        small += int((p.grad.abs() < 1e-7).sum().item())
    checks.append("tiny: %d gradient elements, %d of them with |g| < 1e-7 (Adam step ~ lr*sign(g)"
                  " there is sensitive to round-off)" % (tiny_g, small))

    # float32 run for tolerance hints
    m32, _ = build("tiny", torch.float32)
    m32.train()
    o32 = m32(torch.from_numpy(x32))
    l32 = ernet_loss(o32, torch.from_numpy(y32))[0]
    l32.backward()
    gd = max(((p32.grad.double() - p.grad).abs().max() / (p.grad.abs().max() + 1e-30)).item()
             for (n32, p32), (_, _, p, _, _, _) in zip(m32.named_parameters(), plan))
    checks.append("tiny float32 PyTorch vs float64 fixture: out max|diff| = %.3g, loss diff = %.3g,"
                  " worst per-parameter grad max|diff|/max|g| = %.3g"
                  % ((o32.double() - out).abs().max().item(), abs(l32.item() - loss.item()), gd))

    opt = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.9, 0.999), eps=1e-8)
    opt.step()
    model.eval()
    with torch.no_grad():
        oe = model(x)
        le, lesp, lef = ernet_loss(oe, y)
    fx.add("out_eval_step1", oe)
    fx.add("loss_eval_step1", le)
    model.train()
    with torch.no_grad():
        ot = model(x)
        lt = ernet_loss(ot, y)[0]
    fx.add("loss_train_step1", lt)
    checks.append("tiny: loss %.9g (l_sp %.9g, l_f %.9g); after Adam step: eval loss %.9g, "
                  "train loss %.9g" % (loss.item(), l_sp.item(), l_f.item(), le.item(), lt.item()))
    return fx, gx, plan


def paper_fixtures(checks):
    x32, y32 = make_batch(2002, 2, 49, 52)
    x = torch.from_numpy(x32).double()
    y = torch.from_numpy(y32).double()
    model, plan = build("paper", torch.float64)
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert n == PAPER_PARAMS, n
    checks.append("paper: %d trainable parameters (spec: 6,727,031) in %d tensors" % (n, len(plan)))
    fx = Fixture("paper", [
        "ER-Net config `paper` (ngf 64); parameters by the formula of README.md (order:",
        "params.tsv, config paper). N=2, 52x52 (49x49 map at offset 1: 1 ring top/left, 2",
        "bottom/right). Sequence: fresh model, eval mode forward x -> out_eval0 (running",
        "buffers at init: mean 0, D = I, BN mean 0 var 1), loss_eval0; train mode forward",
        "x -> out_train, loss (+ l_sp, l_f); buffers after it (buf.*); deconv.batch_*: its",
        "patch statistics; eval mode forward x with those buffers -> out_eval1. No gradients.",
        "Computed in float64 from the float32 values stored / given by the formula.",
    ])
    fx.add("x", x32)
    fx.add("y", y32)
    with torch.no_grad():
        model.eval()
        o0 = model(x)
        fx.add("out_eval0", o0)
        fx.add("loss_eval0", ernet_loss(o0, y)[0])
        model.train()
        ot = model(x)
        loss, l_sp, l_f = ernet_loss(ot, y)
        fx.add("out_train", ot)
        fx.add("loss", loss)
        fx.add("l_sp", l_sp)
        fx.add("l_f", l_f)
        buffers(fx, model, "buf.")
        dec = model.deconv
        fx.add("deconv.batch_mean", dec.last_mean)
        fx.add("deconv.batch_D", dec.last_D)
        model.eval()
        o1 = model(x)
        fx.add("out_eval1", o1)
    e_abs, e_rel, cond = ns_vs_exact(dec.last_cov, dec.last_D)
    checks.append("paper whitening: Newton-Schulz(5) D vs exact Sigma^-1/2: max|diff| = %.3g, "
                  "rel Frobenius = %.3g, cond(Sigma) = %.3g" % (e_abs, e_rel, cond))
    checks.append("paper: train loss %.9g (l_sp %.9g, l_f %.9g)" % (loss.item(), l_sp.item(), l_f.item()))
    m32, _ = build("paper", torch.float32)
    with torch.no_grad():
        m32.train()
        o32 = m32(torch.from_numpy(x32))
        m32.eval()
        o32e = m32(torch.from_numpy(x32))
    checks.append("paper float32 PyTorch vs float64 fixture: out_train max|diff| = %.3g, "
                  "out_eval1 max|diff| = %.3g" % ((o32.double() - ot).abs().max().item(),
                                                 (o32e.double() - o1).abs().max().item()))
    return fx, plan


def write_params(plans):
    path = os.path.join(OUT_DIR, "params.tsv")
    with open(path, "w") as f:
        f.write("# Written by tests/reference/ernet_reference.py; do not edit.\n")
        f.write("# named_parameters() order of the PyTorch module (= checkpoint state-dict names).\n")
        f.write("# Element e of parameter k (flattened row-major in its shape), float64 then float32:\n")
        f.write("#   kind uniform/offset_mask/deconv: scale * sin(0.7*e + 1.3*k + 0.1)\n")
        f.write("#   kind bn_weight: 1 + 0.1*sin(...);  kind bn_bias: 0.1*sin(...)\n")
        f.write("# scale as %.17g; fan_in used (0 for BN); sum and sumsq of the float32 values\n")
        f.write("# (accumulated in float64); first = element 0 as float32 (%.9g).\n")
        f.write("config\tk\tname\tshape\tnumel\tkind\tfan_in\tscale\tsum\tsumsq\tfirst\n")
        for config, plan in plans:
            for k, name, p, kind, scale, fan_in in plan:
                v = formula_values(k, p.numel(), kind, scale).astype(np.float64)
                f.write("%s\t%d\t%s\t%s\t%d\t%s\t%d\t%.17g\t%.17g\t%.17g\t%.9g\n" % (
                    config, k, name, "x".join(str(d) for d in p.shape), p.numel(), kind, fan_in,
                    scale, v.sum(), (v * v).sum(), v[0]))


def parallel_summary():
    info = torch.__config__.parallel_info()
    keep = [l.strip() for l in info.splitlines()
            if any(s in l for s in ("ATen/Parallel", "at::get_num_threads", "at::get_num_interop",
                                    "OpenMP", "MKL", "MKLDNN", "std::thread", "Intra-op", "Inter-op"))]
    return "; ".join(keep)


def bench(device="cpu", tf32=False):
    dev = torch.device(device)
    cuda = dev.type == "cuda"
    if cuda:
        # the C engine's CUDA backend keeps TF32 off unless GENOMAP_CUDA_TF32=1
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cudnn.benchmark = True
        sync = torch.cuda.synchronize
    else:
        torch.set_num_threads(2)
        sync = lambda: None
    model, _ = build("paper", torch.float32)
    model = model.to(dev)
    model.train()
    x32, y32 = make_batch(3003, 64, 49, 52)
    x = torch.from_numpy(x32).to(dev)
    y = torch.from_numpy(y32).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.9, 0.999), eps=1e-8)
    warm, total = (3, 23) if cuda else (2, 7)
    times = []
    for it in range(total):
        sync()
        t0 = time.perf_counter()
        out = model(x)
        loss = ernet_loss(out, y)[0]
        loss.backward()
        opt.step()
        opt.zero_grad()
        lv = loss.item()    # synchronises, as the C engine's loss does
        sync()
        dt = time.perf_counter() - t0
        print("step %d%s: %.3f s (loss %.6g)" % (it, " (warm-up)" if it < warm else "", dt, lv),
              flush=True)
        if it >= warm:
            times.append(dt)
    print("torch %s, torchvision %s, threads %d" % (torch.__version__, torchvision.__version__,
                                                    torch.get_num_threads()))
    if cuda:
        print("device: %s, cuDNN %s, TF32 %s" % (torch.cuda.get_device_name(dev),
                                                torch.backends.cudnn.version(),
                                                "on" if tf32 else "off"))
    else:
        print("parallel_info: " + parallel_summary())
    med = statistics.median(times)
    print("paper training step, batch 64, 52x52, %s: median of %d = %.3f s "
          "(min %.3f, max %.3f): %.1f maps/s"
          % ("CUDA" if cuda else "CPU, 2 threads", len(times), med, min(times), max(times),
             64 / med))
    # eval-mode inference, output copied to the host (as gm_ernet_forward does)
    model.eval()
    n_inf = 20 if cuda else 2
    with torch.no_grad():
        model(x).cpu()
        sync()
        t0 = time.perf_counter()
        for _ in range(n_inf):
            model(x).cpu()
        sync()
        dt = time.perf_counter() - t0
    print("paper inference, batch 64, 52x52: %d batches in %.3f s: %.1f maps/s"
          % (n_inf, dt, n_inf * 64 / dt))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", action="store_true",
                    help="time one paper training step (batch 64, 52x52, 2 threads)")
    ap.add_argument("--device", default="cpu",
                    help="with --bench: cpu (default) or cuda / cuda:N")
    ap.add_argument("--tf32", action="store_true",
                    help="with --bench --device cuda: allow TF32 in cuBLAS and cuDNN")
    args = ap.parse_args()
    if args.bench:
        bench(args.device, args.tf32)
        return
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    os.makedirs(OUT_DIR, exist_ok=True)
    checks = []
    dfx = dcn_fixture(checks)
    tfx, tgx, tplan = tiny_fixtures(checks)
    pfx, pplan = paper_fixtures(checks)
    write_params([("tiny", tplan), ("paper", pplan)])
    for fx in (dfx, tfx, tgx, pfx):
        fx.write()
    with open(os.path.join(OUT_DIR, "checks.txt"), "w") as f:
        f.write("# Sanity checks printed by tests/reference/ernet_reference.py (torch %s, "
                "torchvision %s)\n" % (torch.__version__, torchvision.__version__))
        for c in checks:
            f.write(c + "\n")
    for c in checks:
        print(c)
    for fn in sorted(os.listdir(OUT_DIR)):
        print("%-20s %8d bytes" % (fn, os.path.getsize(os.path.join(OUT_DIR, fn))))


if __name__ == "__main__":
    main()
