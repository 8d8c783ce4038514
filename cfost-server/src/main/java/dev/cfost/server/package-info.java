/**
 * The sync server of CFOST: one more replica of each of a user's databases. This package holds its
 * store ({@link dev.cfost.server.ServerStore}): accounts, tokens, devices, and per user and database the
 * cells, stream positions, cursors and seals. Implementations live in {@code dev.cfost.server.internal}.
 */
package dev.cfost.server;
