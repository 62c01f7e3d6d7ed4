"""The nested, indented repr of a Module, in torch's layout, built without recursion.

    Sequential(
      (0): Linear(in_features=64, out_features=128, bias=True)
      (1): ReLU()
    )
"""


def add_indent(text, spaces):
    """Indent every line of `text` but the first (a child's repr follows "(name): ")."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    pad = " " * spaces
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


def format_module(module, child_reprs):
    """``Name(extra)`` or ``Name(\\n  extra lines\\n  (child): repr\\n)``, given the children's reprs."""
    extra = module.extra_repr()
    extra_lines = extra.split("\n") if extra else []
    child_lines = module._repr_child_lines(child_reprs)
    lines = extra_lines + child_lines
    text = module._get_name() + "("
    if lines:
        if len(extra_lines) == 1 and not child_lines:
            text += extra_lines[0]
        else:
            text += "\n  " + "\n  ".join(lines) + "\n"
    return text + ")"


def module_repr(root, plain_repr):
    """The repr of `root`: children are formatted before their parents (an explicit post-order).

    `plain_repr` is ``Module.__repr__``: a child whose class overrides ``__repr__``
    is asked for its own repr instead of being formatted here.
    """
    texts = {}
    in_progress = set()
    stack = [(root, False)]
    while stack:
        module, children_done = stack.pop()
        key = id(module)
        if key in texts:
            continue
        if not children_done:
            in_progress.add(key)
            stack.append((module, True))
            for child in module._modules.values():
                if (child is not None and type(child).__repr__ is plain_repr
                        and id(child) not in texts and id(child) not in in_progress):
                    stack.append((child, False))
            continue
        child_reprs = []
        for name, child in module._modules.items():
            if id(child) in texts:
                text = texts[id(child)]
            elif id(child) in in_progress:
                text = type(child).__name__ + "(...)"  # a module that contains itself
            else:
                text = repr(child)  # None, or a module with its own __repr__
            child_reprs.append((name, text))
        texts[key] = format_module(module, child_reprs)
        in_progress.discard(key)
    return texts[id(root)]
