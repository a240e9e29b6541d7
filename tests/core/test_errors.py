"""The kit's errors are one line, whatever text they are built from."""

from k8slab.core.errors import ImageError, K8sLabError, ManifestError


def test_a_message_and_its_hint_become_one_line():
    err = ManifestError("cannot read\n  pod.yaml:\tno such file \n", "check the path\n(relative to the notebook)")
    assert str(err) == "cannot read pod.yaml: no such file (check the path (relative to the notebook))"
    assert repr(err) == "ManifestError('cannot read pod.yaml: no such file')"  # what a cell shows for the error object
    assert isinstance(err, K8sLabError)


def test_without_a_hint_only_the_message_is_shown():
    assert str(K8sLabError("no cluster answers")) == "no cluster answers"
    assert str(ImageError("push failed", "  ")) == "push failed"
