package dev.cfost.identity;

import java.time.Instant;

/**
 * A registered user, as stored in the replicated users table (the password hash is never handed out).
 *
 * @param id the user id, a random UUID in text form
 * @param name the user name as registered (compared without regard to case)
 * @param email the email address as registered (compared without regard to case)
 * @param createdAt when the user registered
 */
public record User(String id, String name, String email, Instant createdAt) {}
