# SPDX-License-Identifier: GPL-2.0
# Protocols without a tracker: one way, and both ways.
echo x | ip netns exec a socat -u - IP4-SENDTO:10.0.2.2:253
echo x | ip netns exec a socat -u - IP6-SENDTO:[fd00:2::2]:253
echo y | ip netns exec a socat -u - IP4-SENDTO:10.0.2.2:254
echo y | ip netns exec b socat -u - IP4-SENDTO:10.0.1.1:254
sleep 0.5
