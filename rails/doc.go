// Package rails holds the production image template for the Rails app (Dockerfile,
// bin/docker-entrypoint, .dockerignore) and the tests that pin down its contract with the
// infrastructure: platform, build args, secrets, user, entrypoint and port.
package rails
