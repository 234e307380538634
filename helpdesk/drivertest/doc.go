// Package drivertest is the conformance kit for helpdesk drivers, for
// driver authors in this module and outside it: RunConformance checks the
// behaviour every driver shares against the driver wired to its fake vendor
// server (a Harness), and VendorServer is the base such fake servers are
// built on. Subpackages check requests against a vendor's published
// OpenAPI description (drivertest/openapi) and start a loopback
// redis-server for tests of state shared by replicas (drivertest/redistest).
//
// See helpdesk/driver for the contract and the guide to writing a driver.
package drivertest
