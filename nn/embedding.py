"""`Embedding`: a lookup table of learnable vectors, one row per index."""
import numpy as np

import autograd_core as ag

from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """out[..., :] = weight[input[...], :] for an integer `input`; weight is (num_embeddings, embedding_dim).

    weight ~ N(0, 1) initially.  With `padding_idx`, that row starts at zero and
    receives no gradient, so it stays a fixed "padding" vector.  With `max_norm`,
    each looked-up row whose `norm_type`-norm exceeds max_norm is first rescaled
    in place to norm max_norm (as torch does).
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must be within num_embeddings ({num_embeddings}), got {padding_idx}"
                )
            padding_idx = padding_idx % num_embeddings
        if scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: scale_grad_by_freq and sparse gradients are not supported")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(ag.empty(num_embeddings, embedding_dim, dtype=dtype, device=device),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight has shape {tuple(_weight.shape)}, expected "
                    f"({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """weight ~ N(0, 1), with the padding row set to zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with ag.no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input):
        if self.max_norm is not None:
            self._renormalize_rows(input)
        return F.embedding(input, self.weight, self.padding_idx)

    def _renormalize_rows(self, input):
        """Rows used by `input` with norm > max_norm are scaled by max_norm / (norm + 1e-7), in place."""
        rows = ag.from_numpy(np.unique(np.asarray(input)).astype(np.int64))
        if rows.numel() == 0:
            return
        with ag.no_grad():
            selected = self.weight[rows]
            norms = (selected.abs() ** self.norm_type).sum(dim=1, keepdim=True) ** (1.0 / self.norm_type)
            scale = ag.where(norms > self.max_norm, self.max_norm / (norms + 1e-7), 1.0)
            self.weight[rows] = selected * scale

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0):
        """An Embedding whose weight is `embeddings` (2-D); frozen (no gradient) unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx,
                   max_norm=max_norm, norm_type=norm_type)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        return text
