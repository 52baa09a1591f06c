"""Kubernetes: node cost allocation, per-container sizing, the HPA-aware rule and KRR's export.

allocation.py splits node cost over workloads by max(request, usage) (OpenCost's method) with
idle as its own line; container_sizing.py sizes requests and limits per container (a
KRR-comparable floor, SLA headroom on top); hpa.py sizes the pod with its HPA's min/max/target;
krr_export.py shapes the sizing as KRR's JSON. Decision record 014 says why.
"""
