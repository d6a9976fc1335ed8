"""Downloads: a pinned file from the Hugging Face Hub into the LoRA folder, verified, resumable, never half-written."""
