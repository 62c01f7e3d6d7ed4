"""autograd_core.data: Dataset, TensorDataset, Subset, random_split, DataLoader."""
import numpy as np
import pytest

import autograd_core as ag
from autograd_core.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


def _dataset(n=10):
    features = ag.tensor(np.arange(3 * n, dtype=np.float32).reshape(n, 3))
    labels = ag.tensor(np.arange(n))
    return TensorDataset(features, labels)


class SlowTensorDataset(TensorDataset):
    """Same samples, but a subclass, so the loader stacks sample by sample (the generic path)."""


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return {"x": ag.tensor([float(index), float(index) ** 2]), "label": index, "weight": index / 2}


def _labels(loader):
    return [batch[1].tolist() for batch in loader]


# -- datasets -----------------------------------------------------------------------------------
def test_dataset_is_abstract():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Dataset())


def test_tensor_dataset_samples():
    dataset = _dataset(4)
    assert len(dataset) == 4
    features, label = dataset[2]
    np.testing.assert_array_equal(features.numpy(), [6.0, 7.0, 8.0])
    assert label.item() == 2


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match=r"size mismatch.*\[3, 4\].*\(3, 2\), \(4,\)"):
        TensorDataset(ag.zeros(3, 2), ag.zeros(4))
    with pytest.raises(TypeError, match="argument 1 is a ndarray"):
        TensorDataset(ag.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(ag.tensor(1.0))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_subset():
    subset = Subset(_dataset(), [7, 2, 5])
    assert len(subset) == 3
    assert subset[0][1].item() == 7 and subset[-1][1].item() == 5


# -- random_split --------------------------------------------------------------------------------
def test_random_split_lengths_cover_the_dataset_once():
    ag.manual_seed(0)
    parts = random_split(_dataset(10), [6, 3, 1])
    assert [len(p) for p in parts] == [6, 3, 1]
    assert all(isinstance(p, Subset) for p in parts)
    assert sorted(i for p in parts for i in p.indices) == list(range(10))
    assert parts[0].indices != list(range(6))  # shuffled (fixed seed: not the identity)


def test_random_split_fractions_deal_out_the_remainder_as_torch():
    parts = random_split(_dataset(10), [0.33, 0.33, 0.34])
    assert [len(p) for p in parts] == [4, 3, 3]  # floor gives 3, 3, 3; the 1 left goes to the first
    parts = random_split(_dataset(7), [0.5, 0.5])
    assert [len(p) for p in parts] == [4, 3]


def test_random_split_is_reproducible_after_manual_seed():
    ag.manual_seed(42)
    first = [p.indices for p in random_split(_dataset(10), [5, 5])]
    ag.manual_seed(42)
    second = [p.indices for p in random_split(_dataset(10), [5, 5])]
    assert first == second
    generator = np.random.default_rng(3)
    own = random_split(_dataset(10), [5, 5], generator=generator)
    assert [p.indices for p in own] == [p.tolist() for p in np.split(np.random.default_rng(3).permutation(10), 2)]


def test_random_split_errors():
    with pytest.raises(ValueError, match=r"sum of input lengths \(9\) does not equal .*\(10\)"):
        random_split(_dataset(10), [5, 4])
    with pytest.raises(ValueError, match="fraction at index 2 is -0.2, not between 0 and 1"):
        random_split(_dataset(10), [0.5, 0.7, -0.2])
    with pytest.raises(ValueError, match="length at index 0 is 2.5"):
        random_split(_dataset(10), [2.5, 7.5])


# -- DataLoader -----------------------------------------------------------------------------------
def test_batches_in_order_with_a_short_last_batch():
    loader = DataLoader(_dataset(10), batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    features, labels = batches[1]
    assert features.shape == (4, 3) and features.dtype == ag.float32 and labels.dtype == ag.int64
    np.testing.assert_array_equal(features.numpy(), np.arange(12, 24, dtype=np.float32).reshape(4, 3))


def test_drop_last():
    loader = DataLoader(_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(_dataset(8), batch_size=4, drop_last=True)) == 2
    assert len(DataLoader(_dataset(3), batch_size=4, drop_last=True)) == 0
    assert list(DataLoader(_dataset(3), batch_size=4, drop_last=True)) == []


def test_default_batch_size_is_one():
    loader = DataLoader(_dataset(3))
    assert len(loader) == 3
    assert [b[0].shape for b in loader] == [(1, 3)] * 3


def test_shuffle_is_a_permutation_reproducible_after_manual_seed():
    loader = DataLoader(_dataset(10), batch_size=3, shuffle=True)
    ag.manual_seed(5)
    first_epoch, second_epoch = _labels(loader), _labels(loader)
    assert sorted(sum(first_epoch, [])) == list(range(10))
    assert [len(b) for b in first_epoch] == [3, 3, 3, 1]
    assert first_epoch != second_epoch  # a new order every epoch
    ag.manual_seed(5)
    assert _labels(loader) == first_epoch and _labels(loader) == second_epoch


def test_shuffle_with_drop_last():
    ag.manual_seed(0)
    batches = _labels(DataLoader(_dataset(10), batch_size=4, shuffle=True, drop_last=True))
    assert [len(b) for b in batches] == [4, 4]
    assert len(set(sum(batches, []))) == 8


def test_features_stay_with_their_labels_when_shuffled():
    ag.manual_seed(1)
    for features, labels in DataLoader(_dataset(10), batch_size=4, shuffle=True):
        np.testing.assert_array_equal(features.numpy()[:, 0], labels.numpy() * 3)


@pytest.mark.parametrize("shuffle", [False, True])
def test_fast_path_matches_sample_by_sample_stacking(shuffle):
    fast_dataset = _dataset(11)
    slow_dataset = SlowTensorDataset(*fast_dataset.tensors)
    ag.manual_seed(7)
    fast = list(DataLoader(fast_dataset, batch_size=4, shuffle=shuffle))
    ag.manual_seed(7)
    slow = list(DataLoader(slow_dataset, batch_size=4, shuffle=shuffle))
    assert len(fast) == len(slow) == 3
    for fast_batch, slow_batch in zip(fast, slow):
        assert type(fast_batch) is type(slow_batch) is list
        for a, b in zip(fast_batch, slow_batch):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_loader_over_a_subset_of_a_tensor_dataset():
    ag.manual_seed(0)
    train, test = random_split(_dataset(10), [0.8, 0.2])
    assert _labels(DataLoader(test, batch_size=5)) == [test.indices]
    nested = Subset(train, [3, 0])
    assert _labels(DataLoader(nested, batch_size=2)) == [[train.indices[3], train.indices[0]]]


def test_batches_are_copies():
    dataset = _dataset(4)
    features, _ = next(iter(DataLoader(dataset, batch_size=2)))
    features.zero_()
    assert dataset.tensors[0].numpy()[0, 1] == 1.0


def test_generic_dataset_of_dicts_numbers_and_floats():
    batches = list(DataLoader(Squares(5), batch_size=2))
    assert len(batches) == 3
    first = batches[0]
    assert set(first) == {"x", "label", "weight"}
    np.testing.assert_array_equal(first["x"].numpy(), [[0.0, 0.0], [1.0, 1.0]])
    assert first["label"].dtype == ag.int64 and first["label"].tolist() == [0, 1]
    assert first["weight"].dtype == ag.float64 and first["weight"].tolist() == [0.0, 0.5]  # as torch
    assert batches[2]["x"].shape == (1, 2)


def test_default_collate_leaves():
    assert default_collate([1, 2, 3]).dtype == ag.int64
    assert default_collate([True, False]).dtype == ag.bool
    arrays = default_collate([np.zeros(2, dtype=np.float32), np.ones(2, dtype=np.float32)])
    assert arrays.shape == (2, 2) and arrays.dtype == ag.float32
    assert default_collate([np.float32(1.5), np.float32(2.5)]).dtype == ag.float32
    assert default_collate(["a", "b"]) == ["a", "b"]
    pairs = default_collate([(ag.tensor([1.0]), "a"), (ag.tensor([2.0]), "b")])
    assert pairs[0].shape == (2, 1) and pairs[1] == ["a", "b"]


def test_default_collate_errors():
    with pytest.raises(TypeError, match="samples of type object cannot be batched"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="field 0 .* is a list"):
        default_collate([([1, 2], 3), ([4, 5], 6)])
    with pytest.raises(RuntimeError, match="same number of fields"):
        default_collate([(1, 2), (3,)])


def test_custom_collate_fn():
    loader = DataLoader(_dataset(5), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2, 1]


def test_empty_dataset():
    loader = DataLoader(TensorDataset(ag.zeros(0, 3)), batch_size=4, shuffle=True)
    assert len(loader) == 0 and list(loader) == []


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, None])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(_dataset(), batch_size=batch_size)


def test_other_loader_errors():
    with pytest.raises(TypeError, match="dataset must have __getitem__ and __len__"):
        DataLoader(42)
    with pytest.raises(TypeError, match="collate_fn must be callable"):
        DataLoader(_dataset(), collate_fn="stack")
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(_dataset(), num_workers=-1)


def test_torch_style_keywords_are_accepted():
    loader = DataLoader(_dataset(4), batch_size=2, num_workers=2, pin_memory=True)
    assert _labels(loader) == [[0, 1], [2, 3]]


def test_training_loop_with_a_loader():
    """Gradients flow through batches cut out of the dataset (the usual loop)."""
    ag.manual_seed(0)
    X = ag.randn(32, 3, dtype=ag.float64)
    true_w = ag.tensor([[1.0], [-2.0], [0.5]], dtype=ag.float64)
    y = X @ true_w
    w = ag.zeros(3, 1, dtype=ag.float64, requires_grad=True)
    for _ in range(60):
        for xb, yb in DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True):
            loss = ((xb @ w - yb) ** 2).mean()
            loss.backward()
            with ag.no_grad():
                w.sub_(w.grad, alpha=0.1)
            w.grad = None
    np.testing.assert_allclose(w.detach().numpy(), true_w.numpy(), atol=1e-6)


# -- sampler= ------------------------------------------------------------------------------------
def test_loader_takes_any_sampler():
    """A sampler is anything iterable over indices with a length: a list, a range, a Sampler."""
    from autograd_core.data import SequentialSampler

    for sampler in ([3, 1, 2], range(3, 0, -1), SequentialSampler(range(3))):
        loader = DataLoader(_dataset(4), batch_size=2, sampler=sampler)
        assert loader.sampler is sampler
        assert len(loader) == 2
        assert [x for batch in _labels(loader) for x in batch] == [int(i) for i in sampler]
    assert _labels(DataLoader(_dataset(6), batch_size=4, sampler=[5, 4, 3, 2, 1], drop_last=True)) == [[5, 4, 3, 2]]


def test_loader_sampler_with_per_sample_collate():
    class Squares(Dataset):
        def __getitem__(self, index):
            return index * index

        def __len__(self):
            return 5

    assert [b.tolist() for b in DataLoader(Squares(), batch_size=2, sampler=[4, 0, 2])] == [[16, 0], [4]]


def test_loader_sampler_and_shuffle_are_exclusive():
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(_dataset(4), sampler=[0, 1], shuffle=True)
    with pytest.raises(TypeError, match="sampler must be an iterable"):
        DataLoader(_dataset(4), sampler=3)


def test_random_sampler_draws_what_shuffle_draws():
    from autograd_core.data import RandomSampler

    ag.manual_seed(3)
    shuffled = _labels(DataLoader(_dataset(8), batch_size=3, shuffle=True))
    ag.manual_seed(3)
    sampled = _labels(DataLoader(_dataset(8), batch_size=3, sampler=RandomSampler(range(8))))
    assert shuffled == sampled
    assert isinstance(DataLoader(_dataset(8), shuffle=True).sampler, RandomSampler)
