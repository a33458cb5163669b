"""Encoders, decoders and discriminators of the representation learners.

Private: the modules that :class:`sknmi.InfoBottleneckTransformer` and
:class:`sknmi.DeepInfoMaxTransformer` build. Nothing here imports scikit-learn.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from sknmi.nn.critics import ACTIVATIONS, MLP, SeparableCritic

# The encoder's scale is MIN_SCALE + softplus(raw - SCALE_SHIFT): positive, never
# below MIN_SCALE (so the KL rate and its gradient stay finite), and close to
# deterministic at initialisation (softplus(-5) ~ 0.007), as in Deep VIB.
MIN_SCALE = 1e-3
SCALE_SHIFT = 5.0
# Gaussian decoder: log-variance kept where exp() is safe in float32.
LOG_VAR_RANGE = (-14.0, 14.0)
# Channels of the first convolution; each halving of the image doubles them.
CONV_CHANNELS = 32
# Images are halved until the smaller side of the local feature map is at most this.
LOCAL_MAP_SIZE = 8


class GaussianEncoder(nn.Module):
    """x -> (mean, scale) of a diagonal Gaussian p(z | x)."""

    def __init__(
        self,
        in_features,
        hidden_layer_sizes,
        n_components,
        activation,
        scale_shift=SCALE_SHIFT,
    ):
        super().__init__()
        self.n_components = n_components
        self.scale_shift = scale_shift
        self.net = MLP(in_features, hidden_layer_sizes, 2 * n_components, activation)

    def forward(self, x):
        mean, raw = self.net(x).split(self.n_components, dim=-1)
        return mean, MIN_SCALE + F.softplus(raw - self.scale_shift)


class SoftmaxDecoder(nn.Module):
    """q(y | z): a linear softmax over the classes."""

    def __init__(self, n_components, n_classes):
        super().__init__()
        self.linear = nn.Linear(n_components, n_classes)

    def forward(self, z):
        return self.linear(z)

    def nll(self, z, target):
        """-log q(y | z) per row, in nats."""
        return F.cross_entropy(self.linear(z), target, reduction="none")


class GaussianDecoder(nn.Module):
    """q(y | z) = N(W z + b, diag(exp(log_var))): linear mean, learned variance."""

    def __init__(self, n_components, n_outputs):
        super().__init__()
        self.linear = nn.Linear(n_components, n_outputs)
        self.log_var = nn.Parameter(torch.zeros(n_outputs))

    def forward(self, z):
        return self.linear(z)

    def nll(self, z, target):
        """-log q(y | z) per row (summed over outputs), in nats."""
        log_var = self.log_var.clamp(*LOG_VAR_RANGE)
        sq = (target - self.linear(z)) ** 2 * torch.exp(-log_var)
        return 0.5 * (math.log(2 * math.pi) + log_var + sq).sum(-1)


def gaussian_kl_to_standard(mean, scale):
    """KL(N(mean, scale^2) || N(0, I)) per row, summed over components (nats)."""
    return 0.5 * (mean**2 + scale**2 - 1.0 - 2.0 * torch.log(scale)).sum(-1)


class MLPEncoder(nn.Module):
    """Encoder for flat rows: the feature map C(x) is the input itself."""

    def __init__(self, n_features, n_components, hidden, activation, squash):
        super().__init__()
        # One channel at each of n_features positions.
        self.local_shape = (1, n_features)
        self.net = MLP(n_features, hidden, n_components, activation)
        self.squash = squash

    def features(self, x):
        return x

    def head(self, c):
        code = self.net(c)
        return torch.sigmoid(code) if self.squash else code

    def forward(self, x):
        return self.head(self.features(x))


class ConvEncoder(nn.Module):
    """Convolutional encoder for images of shape (C, H, W).

    ``features`` is a 3x3 convolution, followed by stride-2 4x4 convolutions
    while both sides of the map exceed 8: the local feature map C(x), each of whose
    positions sees a small patch of the image (3 x 3 pixels for images of at
    most 8 x 8; on digits a coarser 4 x 4 map of 6 x 6 patches gave codes
    worse than random ones for a linear probe). ``head`` adds one more
    stride-2 convolution (when the map is at least 4 wide) and an MLP down to
    the code.
    """

    def __init__(self, image_shape, n_components, hidden, activation, squash):
        super().__init__()
        act = ACTIVATIONS[activation]
        c, h, w = image_shape
        ch = CONV_CHANNELS
        layers = [nn.Conv2d(c, ch, 3, padding=1), act()]
        while min(h, w) > LOCAL_MAP_SIZE:
            layers += [nn.Conv2d(ch, 2 * ch, 4, stride=2, padding=1), act()]
            ch, h, w = 2 * ch, h // 2, w // 2
        self._features = nn.Sequential(*layers)
        self.local_shape = (ch, h * w)
        head = []
        if min(h, w) >= 4:
            head += [nn.Conv2d(ch, 2 * ch, 4, stride=2, padding=1), act()]
            ch, h, w = 2 * ch, h // 2, w // 2
        head += [nn.Flatten(), MLP(ch * h * w, hidden, n_components, activation)]
        self._head = nn.Sequential(*head)
        self.image_shape = tuple(image_shape)
        self.squash = squash

    def features(self, x):
        return self._features(x.reshape(-1, *self.image_shape))

    def head(self, c):
        code = self._head(c)
        return torch.sigmoid(code) if self.squash else code

    def forward(self, x):
        return self.head(self.features(x))


class PositionEmbedding(nn.Module):
    """The encode half of the local critic: one embedding per feature-map position.

    Images: an MLP with a linear shortcut applied to the channels of each
    position (the 1x1 convolutions of Hjelm et al., 2019, appendix), shared by
    all positions. Flat rows: position ``j`` is the scalar ``x_j``, embedded
    by a first layer of its own (so the critic knows which feature it looks
    at) and a shared second layer.

    ``forward(c)`` returns a tensor of shape (n, positions, embedding_dim).
    """

    def __init__(self, local_shape, embedding_dim, activation, image):
        super().__init__()
        channels, positions = local_shape
        self.image = image
        self.act = ACTIVATIONS[activation]()
        if image:
            self.first = nn.Linear(channels, embedding_dim)
            self.shortcut = nn.Linear(channels, embedding_dim)
        else:
            # Each position's first layer has fan-in 1: PyTorch's default bound 1.
            self.weight = nn.Parameter(torch.empty(positions, embedding_dim))
            self.bias = nn.Parameter(torch.empty(positions, embedding_dim))
            nn.init.uniform_(self.weight, -1.0, 1.0)
            nn.init.uniform_(self.bias, -1.0, 1.0)
        self.second = nn.Linear(embedding_dim, embedding_dim)

    def forward(self, c):
        if self.image:
            c = c.flatten(2).transpose(1, 2)
            return self.second(self.act(self.first(c))) + self.shortcut(c)
        return self.second(self.act(c[:, :, None] * self.weight + self.bias))


def local_scores(code_embedding, position_embedding):
    """Scores ``S[i, j, p]`` of code ``i`` against position ``p`` of row ``j``."""
    n, positions, width = position_embedding.shape
    flat = position_embedding.reshape(n * positions, width)
    return (code_embedding @ flat.T).reshape(code_embedding.shape[0], n, positions)


def split_local(scores):
    """Positives ``S[i, i, p]`` (flattened) and ``S`` with ``-inf`` where ``j == i``.

    Every position of every other image is a negative for each positive of
    image ``i``; no position of image ``i`` is.
    """
    n = scores.shape[0]
    eye = torch.eye(n, dtype=torch.bool, device=scores.device)[:, :, None]
    joint = scores.diagonal(dim1=0, dim2=1).T.reshape(-1)
    return joint, scores.masked_fill(eye, -math.inf)


class InfoMaxModel(nn.Module):
    """Every module of the game: early stopping saves and restores them together."""

    def __init__(
        self,
        encoder,
        n_components,
        flat_features,
        local_shape,
        hidden,
        embedding_dim,
        activation,
        image,
        use_global,
        use_local,
        use_prior,
    ):
        super().__init__()
        self.encoder = encoder
        if use_global:
            self.global_critic = SeparableCritic(
                flat_features, n_components, hidden, embedding_dim, activation
            )
        if use_local:
            self.local_code = MLP(n_components, hidden, embedding_dim, activation)
            self.local_positions = PositionEmbedding(
                local_shape, embedding_dim, activation, image
            )
        if use_prior:
            self.discriminator = MLP(n_components, hidden, 1, activation)
