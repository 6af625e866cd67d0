/**
 * Image descriptors from intermediate features, for retrieval and copy detection: global pooling of
 * a feature map ({@link org.fx4j.descriptors.Pooling}: average, max, generalised mean), L2
 * normalisation ({@link org.fx4j.descriptors.Descriptors}), PCA whitening ({@link
 * org.fx4j.descriptors.PcaWhitening}) and a searchable, savable collection of
 * descriptors ({@link org.fx4j.descriptors.DescriptorIndex}, exact; {@link
 * org.fx4j.descriptors.HnswSearch}, approximate).
 */
package org.fx4j.descriptors;
