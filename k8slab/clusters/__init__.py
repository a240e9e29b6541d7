"""The learner's cluster: the providers that make one (kind, a kubeconfig's context, a plain
node), the pinned files they fetch, and the session that remembers the cluster chosen last."""
