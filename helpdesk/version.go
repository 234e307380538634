package helpdesk

// Version is the SDK version, sent in the User-Agent of every request.
const Version = "0.1.0"
