"""Bad input raises a clear Python exception naming the op, the shapes/values and what was expected."""
import re

import numpy as np
import pytest

import autograd_core as ag


@pytest.mark.parametrize("name,operation", [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("add", lambda a, b: ag.add(a, b)),
    ("maximum", lambda a, b: ag.maximum(a, b)),
])
def test_broadcasting_mismatch_names_op_and_both_shapes(name, operation):
    a, b = ag.ones(2, 3), ag.ones(4)
    with pytest.raises(RuntimeError) as info:  # torch's class for shapes that do not broadcast
        operation(a, b)
    assert str(info.value) == f"{name}: operands could not be broadcast together with shapes (2,3) (4,)"


def test_broadcasting_mismatch_with_requires_grad_and_reflected_operand():
    a = ag.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape("add: operands could not be broadcast together with shapes (4,) (2,3)")):
        ag.ones(4) + a
    with pytest.raises(RuntimeError, match=re.escape("mul: operands could not be broadcast together with shapes (2,3) (5,)")):
        a * np.ones(5)


def test_matmul_shape_mismatch():
    with pytest.raises(RuntimeError, match=re.escape("matmul: shapes (2, 3) and (4, 2) cannot be multiplied (3 != 4)")):
        ag.ones(2, 3) @ ag.ones(4, 2)
    with pytest.raises(RuntimeError, match=r"matmul: .*\(5, 2, 3\).*\(2, 2\)"):
        ag.matmul(ag.ones(5, 2, 3), ag.ones(2, 2))


def test_backward_on_a_non_scalar_needs_a_gradient():
    y = ag.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar outputs; this output has shape \(2, 3\)"):
        y.backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        ag.grad(y, y)


def test_one_element_output_needs_no_gradient():
    x = ag.ones(1, 1, requires_grad=True)
    (x * 3).backward()
    assert x.grad.item() == 3.0


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        ag.ones(3).sum().backward()
    with pytest.raises(RuntimeError, match="grad: element 0 of tensors does not require grad"):
        ag.grad(ag.ones(1).sum(), ag.ones(1, requires_grad=True))


def test_grad_with_an_input_that_does_not_require_grad():
    x = ag.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad: input 1 does not require grad"):
        ag.grad((x * 2).sum(), [x, ag.ones(2)])


@pytest.mark.parametrize("make", [
    lambda: ag.tensor([1, 2], requires_grad=True),
    lambda: ag.tensor([True], requires_grad=True),
    lambda: ag.zeros(2, dtype=ag.int64, requires_grad=True),
    lambda: ag.arange(3).requires_grad_(),
    lambda: setattr(ag.tensor([1]), "requires_grad", True),
])
def test_requires_grad_on_an_integer_tensor(make):
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients, got (int64|bool)"):
        make()


@pytest.mark.parametrize("index,dim,size,value", [(5, 0, 2, 5), ((0, 7), 1, 3, 7), ((-3,), 0, 2, -3)])
def test_indexing_out_of_range(index, dim, size, value):
    x = ag.ones(2, 3)
    with pytest.raises(IndexError, match=f"index {value} is out of bounds for dimension {dim} with size {size}"):
        x[index]
    with pytest.raises(IndexError, match=f"index {value} is out of bounds for dimension {dim} with size {size}"):
        ag.ones(2, 3, requires_grad=True)[index]


def test_indexing_out_of_range_with_an_index_tensor():
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 0 with size 2"):
        ag.ones(2, 3)[ag.tensor([0, 4])]


@pytest.mark.parametrize("gradient_shape", [(3,), (2, 1), (3, 2), ()])
def test_gradient_of_the_wrong_shape(gradient_shape):
    y = ag.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=re.escape(f"backward: gradient has shape {gradient_shape}, but the output has shape (2, 3)")):
        y.backward(ag.ones(*gradient_shape))
    with pytest.raises(RuntimeError, match=re.escape(f"grad: gradient has shape {gradient_shape}")):
        ag.grad(y, y, grad_outputs=ag.ones(*gradient_shape))


def test_assigning_a_grad_of_the_wrong_shape_or_type():
    x = ag.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"assigned grad has shape \(3,\), but the tensor has shape \(2, 3\)"):
        x.grad = ag.ones(3)
    with pytest.raises(TypeError, match="assigned grad must be a Tensor or None, got ndarray"):
        x.grad = np.ones((2, 3))


def test_conversion_errors():
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        ag.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match=r"only one element tensors can be converted to Python scalars: "
                                           r"a Tensor with 2 elements cannot be converted to Scalar \(shape \(2,\)\)"):
        ag.ones(2).item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with 2 values is ambiguous"):
        bool(ag.ones(2))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ag.tensor(1.0))


def test_unsupported_dtype_and_device():
    with pytest.raises(TypeError, match="unsupported dtype float16"):
        ag.zeros(2, dtype=np.float16)
    with pytest.raises(RuntimeError, match="device 'cuda' is not available: autograd_core runs on the CPU only"):
        ag.zeros(2, device="cuda")
    with pytest.raises(TypeError, match="set_default_dtype: only float32 or float64"):
        ag.set_default_dtype(ag.int64)


def test_ragged_nested_lists():
    with pytest.raises(ValueError, match="tensor\\(\\): the nested sequence is ragged"):
        ag.tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="cannot make a tensor from an element of type str"):
        ag.tensor(["a"])


def test_bad_sizes():
    with pytest.raises(RuntimeError, match=r"sizes must be non-negative integers, got \(2, -1\).*negative dimension -1"):
        ag.zeros(2, -1)
    with pytest.raises(TypeError, match=r"sizes must be non-negative integers, got \(2.5,\).*not float"):
        ag.ones(2.5)
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        ag.arange(0, 3, 0)


def test_reshape_to_an_impossible_shape():
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4, 2\] is invalid for input of size 6"):
        ag.ones(2, 3).reshape(4, 2)


def test_dimension_out_of_range():
    with pytest.raises(IndexError, match=r"sum: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        ag.ones(2, 3).sum(dim=2)
    with pytest.raises(IndexError, match="size: dimension out of range"):
        ag.ones(2, 3).size(5)


def test_an_op_message_is_not_prefixed_twice():
    with pytest.raises(ValueError) as info:
        ag.clamp(ag.ones(2))
    assert str(info.value) == "clamp: at least one of min and max must be given (input shapes: (2,))"


def test_where_refuses_a_non_boolean_condition():
    # torch: "where expected condition to be a boolean tensor, but got a tensor with dtype Long"
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor.*int64"):
        ag.where(ag.tensor([1, 0]), ag.ones(2), ag.zeros(2))
    np.testing.assert_array_equal(ag.where(ag.tensor([1, 0]) != 0, ag.ones(2), ag.zeros(2)).numpy(), [1.0, 0.0])
