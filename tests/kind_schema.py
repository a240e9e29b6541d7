"""kind's v1alpha4 config format as a JSON schema, transcribed from kind's Go types
(pkg/apis/config/v1alpha4/types.go). kind decodes its config strictly, so unknown fields fail."""

_patch6902 = {"type": "object", "additionalProperties": False, "required": ["kind", "patch"],
              "properties": {k: {"type": "string"} for k in ("group", "version", "kind", "patch")}}
_strings = {"type": "array", "items": {"type": "string"}}

MOUNT = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "containerPath": {"type": "string"}, "hostPath": {"type": "string"},
        "readOnly": {"type": "boolean"}, "selinuxRelabel": {"type": "boolean"},
        "propagation": {"enum": ["None", "HostToContainer", "Bidirectional"]},
    },
}
PORT_MAPPING = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "containerPort": {"type": "integer"}, "hostPort": {"type": "integer"},
        "listenAddress": {"type": "string"}, "protocol": {"enum": ["TCP", "UDP", "SCTP"]},
    },
}
NODE = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "role": {"enum": ["control-plane", "worker"]}, "image": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "extraMounts": {"type": "array", "items": MOUNT},
        "extraPortMappings": {"type": "array", "items": PORT_MAPPING},
        "gpus": {"type": "string"},
        "kubeadmConfigPatches": _strings,
        "kubeadmConfigPatchesJSON6902": {"type": "array", "items": _patch6902},
    },
}
CLUSTER = {
    "type": "object", "additionalProperties": False, "required": ["kind", "apiVersion"],
    "properties": {
        "kind": {"const": "Cluster"}, "apiVersion": {"const": "kind.x-k8s.io/v1alpha4"},
        "name": {"type": "string"}, "nodes": {"type": "array", "items": NODE},
        "networking": {"type": "object"},
        "featureGates": {"type": "object", "additionalProperties": {"type": "boolean"}},
        "runtimeConfig": {"type": "object", "additionalProperties": {"type": "string"}},
        "kubeadmConfigPatches": _strings,
        "kubeadmConfigPatchesJSON6902": {"type": "array", "items": _patch6902},
        "containerdConfigPatches": _strings, "containerdConfigPatchesJSON6902": _strings,
    },
}
