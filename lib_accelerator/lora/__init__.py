"""LoRA files: the safetensors header, key layouts, the family a file is for, and conversion for hosts that need it."""
