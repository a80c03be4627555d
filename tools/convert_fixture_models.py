"""Tiny PyTorch models for the convert presets' tests (tensorport convert/).

Each is a real torch.nn model of the architecture a preset targets, with the state-dict key layout
of the public implementation it imitates:
  * TinyBigVGAN: HiFi-GAN/BigVGAN generator (weight-norm Conv1d, weight-norm ConvTranspose1d
    upsamplers, AMP resblocks with Snake alphas), keys as in NVIDIA/BigVGAN.
  * TinyEncodec: SEANet encoder/decoder (SConv1d -> .conv.conv, SConvTranspose1d -> .convtr.convtr,
    residual blocks, SLSTM) and a codebook with training buffers, keys as in audiocraft.
  * TinyKokoro: components bert / bert_encoder / predictor / decoder / text_encoder, saved as a dict
    of DataParallel state dicts ("module." prefixes), as Kokoro's checkpoints are.
Weight-norm g values are perturbed so that a fused weight differs from v.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import weight_norm


def _wn(module, gen):
    module = weight_norm(module)
    with torch.no_grad():
        module.weight_g.mul_(torch.rand(module.weight_g.shape, generator=gen) + 0.5)
    return module


class Snake(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.alpha = nn.Parameter(torch.rand(channels) + 0.5)

    def forward(self, x):
        a = self.alpha[None, :, None]
        return x + torch.sin(a * x) ** 2 / (a + 1e-9)


class Activation1d(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.act = Snake(channels)

    def forward(self, x):
        return self.act(x)


class AMPBlock1(nn.Module):
    def __init__(self, ch, k, gen):
        super().__init__()
        self.convs1 = nn.ModuleList([_wn(nn.Conv1d(ch, ch, k, padding=k // 2), gen) for _ in range(2)])
        self.convs2 = nn.ModuleList([_wn(nn.Conv1d(ch, ch, k, padding=k // 2), gen) for _ in range(2)])
        self.activations = nn.ModuleList([Activation1d(ch) for _ in range(4)])

    def forward(self, x):
        for i, (c1, c2) in enumerate(zip(self.convs1, self.convs2)):
            y = c2(self.activations[2 * i + 1](c1(self.activations[2 * i](x))))
            x = x + y
        return x


class TinyBigVGAN(nn.Module):
    def __init__(self, gen, mels=8, ch=16):
        super().__init__()
        self.conv_pre = _wn(nn.Conv1d(mels, ch, 7, padding=3), gen)
        self.ups = nn.ModuleList([
            _wn(nn.ConvTranspose1d(ch, ch // 2, 4, stride=2, padding=1), gen),
            _wn(nn.ConvTranspose1d(ch // 2, ch // 4, 4, stride=2, padding=1), gen),
        ])
        self.resblocks = nn.ModuleList([AMPBlock1(ch // 2, 3, gen), AMPBlock1(ch // 4, 3, gen)])
        self.activation_post = Activation1d(ch // 4)
        self.conv_post = _wn(nn.Conv1d(ch // 4, 1, 7, padding=3), gen)

    def forward(self, x):
        x = self.conv_pre(x)
        for up, rb in zip(self.ups, self.resblocks):
            x = rb(up(F.leaky_relu(x, 0.1)))
        return torch.tanh(self.conv_post(self.activation_post(x)))


class SConv1d(nn.Module):
    def __init__(self, cin, cout, k, gen, stride=1):
        super().__init__()
        self.conv = nn.Module()
        self.conv.conv = _wn(nn.Conv1d(cin, cout, k, stride=stride, padding=k // 2), gen)

    def forward(self, x):
        return self.conv.conv(x)


class SConvTranspose1d(nn.Module):
    def __init__(self, cin, cout, k, stride, gen):
        super().__init__()
        self.convtr = nn.Module()
        self.convtr.convtr = _wn(nn.ConvTranspose1d(cin, cout, k, stride=stride, padding=1), gen)

    def forward(self, x):
        return self.convtr.convtr(x)


class SEANetResnetBlock(nn.Module):
    def __init__(self, ch, gen):
        super().__init__()
        self.block = nn.Sequential(nn.ELU(), SConv1d(ch, ch // 2, 3, gen), nn.ELU(),
                                   SConv1d(ch // 2, ch, 1, gen))
        self.shortcut = SConv1d(ch, ch, 1, gen)

    def forward(self, x):
        return self.shortcut(x) + self.block(x)


class SLSTM(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.lstm = nn.LSTM(ch, ch, 2)

    def forward(self, x):
        y, _ = self.lstm(x.permute(2, 0, 1))
        return y.permute(1, 2, 0) + x


class Codebook(nn.Module):
    def __init__(self, bins, dim):
        super().__init__()
        self.register_buffer("inited", torch.tensor([True]))
        self.register_buffer("cluster_size", torch.rand(bins))
        self.register_buffer("embed", torch.randn(bins, dim))
        self.register_buffer("embed_avg", torch.randn(bins, dim))


class TinyEncodec(nn.Module):
    def __init__(self, gen):
        super().__init__()
        self.encoder = nn.Module()
        self.encoder.model = nn.Sequential(
            SConv1d(1, 4, 7, gen), SEANetResnetBlock(4, gen), nn.ELU(),
            SConv1d(4, 8, 4, gen, stride=2), SLSTM(8), nn.ELU(), SConv1d(8, 6, 3, gen))
        self.decoder = nn.Module()
        self.decoder.model = nn.Sequential(
            SConv1d(6, 8, 7, gen), SLSTM(8), nn.ELU(), SConvTranspose1d(8, 4, 4, 2, gen),
            SEANetResnetBlock(4, gen), nn.ELU(), SConv1d(4, 1, 7, gen))
        self.quantizer = nn.Module()
        self.quantizer.vq = nn.Module()
        self.quantizer.vq.layers = nn.ModuleList([nn.Module()])
        self.quantizer.vq.layers[0]._codebook = Codebook(16, 6)

    def forward(self, x):
        return self.decoder.model(self.encoder.model(x))


class AlbertLayer(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.attention = nn.Module()
        for n in ("query", "key", "value", "dense"):
            setattr(self.attention, n, nn.Linear(d, d))
        self.attention.LayerNorm = nn.LayerNorm(d)
        self.ffn = nn.Linear(d, 2 * d)
        self.ffn_output = nn.Linear(2 * d, d)
        self.full_layer_layer_norm = nn.LayerNorm(d)


class TinyKokoroBert(nn.Module):
    def __init__(self, vocab=12, d=8):
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(vocab, d)
        self.embeddings.register_buffer("position_ids", torch.arange(16)[None])
        self.encoder = nn.Module()
        self.encoder.albert_layer_groups = nn.ModuleList([nn.Module()])
        self.encoder.albert_layer_groups[0].albert_layers = nn.ModuleList([AlbertLayer(d)])


class TinyKokoro(nn.Module):
    def __init__(self, gen, vocab=12, d=8):
        super().__init__()
        self.bert = TinyKokoroBert(vocab, d)
        self.bert_encoder = nn.Linear(d, d)
        self.predictor = nn.Module()
        self.predictor.text_encoder = nn.Module()
        self.predictor.text_encoder.lstms = nn.ModuleList([nn.LSTM(d, d // 2, bidirectional=True)])
        self.predictor.F0 = nn.ModuleList([nn.Module()])
        self.predictor.F0[0].conv1 = _wn(nn.Conv1d(d, d, 3, padding=1), gen)
        self.decoder = nn.Module()
        self.decoder.generator = nn.Module()
        self.decoder.generator.ups = nn.ModuleList([_wn(nn.ConvTranspose1d(d, d // 2, 4, 2, 1), gen)])
        self.decoder.generator.conv_post = _wn(nn.Conv1d(d // 2, 2, 7, padding=3), gen)
        self.text_encoder = nn.Module()
        self.text_encoder.embedding = nn.Embedding(vocab, d)
        self.text_encoder.cnn = nn.ModuleList([nn.Sequential(_wn(nn.Conv1d(d, d, 5, padding=2), gen))])
        self.text_encoder.lstm = nn.LSTM(d, d // 2, bidirectional=True)

    def components(self):
        return ["bert", "bert_encoder", "predictor", "decoder", "text_encoder"]

    def run_weight_norm_hooks(self):
        # Each weight-norm module recomputes .weight from g and v in its forward pre-hook.
        x = torch.randn(1, 8, 6)
        self.predictor.F0[0].conv1(x)
        self.text_encoder.cnn[0](x)
        y = self.decoder.generator.ups[0](x)
        self.decoder.generator.conv_post(y)


def build(name, seed=0):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    return {"bigvgan": TinyBigVGAN, "encodec": TinyEncodec, "kokoro": TinyKokoro}[name](gen)
