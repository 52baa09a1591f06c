"""Test support: throwaway servers, skip policy, builders."""
