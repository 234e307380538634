package hubspottest

type channelState struct{}

func newChannelState() *channelState { return &channelState{} }

func (s *Server) registerChannels() {}
