"""Kubernetes from kube-state-metrics and cAdvisor alone: the owner chain, discovery."""
