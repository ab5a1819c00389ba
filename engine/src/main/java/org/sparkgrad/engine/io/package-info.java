/**
 * Model files: {@link org.sparkgrad.engine.io.SafeTensors} reads and writes tensors, modules' state dicts and
 * string metadata in Hugging Face's safetensors format (from files or streams, every header checked before
 * any data is read); {@code SafeTensorsHeader} writes and validates the JSON header, and {@code Json} is the
 * small strict RFC 8259 reader behind it, so that the engine needs no JSON library (its tests cross-check it
 * against Jackson).
 */
package org.sparkgrad.engine.io;
