/**
 * The sync server of CFOST: one more replica of each of a user's databases. This package holds the
 * running server ({@link dev.cfost.server.CfostServer}, configured by {@link dev.cfost.server.ServerConfig};
 * HTTP endpoints in docs/SERVER.md) and its store ({@link dev.cfost.server.ServerStore}): accounts, tokens,
 * devices, and per user and database the cells, stream positions, cursors and seals. Implementations
 * live in {@code dev.cfost.server.internal}.
 */
package dev.cfost.server;
